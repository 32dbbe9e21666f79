using System.Globalization;
using LlmGateway.Interop;

namespace LlmGateway.Cpu;

/// <summary>Returns the file pages an idle gateway holds mapped: the runtime's and the framework's code and data.</summary>
/// <remarks>
/// Most of an idle gateway's RSS is not its heap but the shared framework's files mapped into it (CoreLib, coreclr, the
/// JIT, Kestrel ...: 65 of 107 MB, bench/idle-cost.sh), touched while serving and kept resident for ever after. Advising
/// the kernel to page them out (MADV_PAGEOUT) gives them back at once; the next request reads what it runs again, from
/// the page cache if the kernel kept the pages there, else from disk (docs/benchmarks/idle-cost.md measures both).
/// Anonymous memory, the JIT's code (shared memory) and pages another process also maps are left alone by the kernel.
/// The ranges are marked as read at random first (MADV_RANDOM): an idle gateway touches a few scattered pages now and
/// then, and read-ahead would bring each one back with its neighbours (33 against 38 MB of file pages a minute after a
/// trim, with a private copy of the runtime).
/// </remarks>
public static class FilePageTrim
{
    /// <summary>Advises the kernel to page out every file mapping of this process. Returns how many mappings it advised.</summary>
    public static int Run()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        var advised = 0;
        foreach (var (start, length) in FileMappings(File.ReadLines("/proc/self/maps")))
        {
            _ = LinuxInterop.Madvise((nint)start, (nuint)length, LinuxInterop.MadvRandom);
            if (LinuxInterop.Madvise((nint)start, (nuint)length, LinuxInterop.MadvPageout) == 0)
            {
                advised++;
            }
        }

        return advised;
    }

    /// <summary>The ranges of /proc/PID/maps lines that map a regular file: not anonymous memory, the heap or stacks,
    /// device files, or memfd shared memory (where the JIT writes its code).</summary>
    public static IEnumerable<(ulong Start, ulong Length)> FileMappings(IEnumerable<string> mapsLines)
    {
        foreach (var line in mapsLines)
        {
            // start-end perms offset dev inode [path]; the path is the rest of the line and may hold spaces.
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 6)
            {
                continue;
            }

            var path = fields[5].Trim();
            if (!path.StartsWith('/') || path.StartsWith("/dev/", StringComparison.Ordinal) || path.StartsWith("/memfd:", StringComparison.Ordinal) || fields[4] == "0")
            {
                continue;
            }

            var range = fields[0].Split('-');
            if (range.Length == 2
                && ulong.TryParse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var start)
                && ulong.TryParse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var end)
                && end > start)
            {
                yield return (start, end - start);
            }
        }
    }
}
