using System.Globalization;

namespace LlmGateway.Cpu.Backends;

/// <summary>Reading and writing cgroup interface files, with errors that name the file.</summary>
internal static class CgroupFiles
{
    public static void Write(string directory, string file, string value)
    {
        var path = Path.Combine(directory, file);
        try
        {
            File.WriteAllText(path, value);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CpuBackendUnavailableException($"cannot write '{value}' to {path}: {e.Message}");
        }
    }

    /// <summary>Writes only if the kernel offers the file (older kernels lack cpu.idle or cfs_burst_us).</summary>
    public static bool WriteIfPresent(string directory, string file, string value)
    {
        if (!File.Exists(Path.Combine(directory, file)))
        {
            return false;
        }

        Write(directory, file, value);
        return true;
    }

    public static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A "key value" line of cpu.stat and the like.</summary>
    public static long? Field(string? text, string key)
    {
        foreach (var line in (text ?? "").Split('\n'))
        {
            var space = line.IndexOf(' ');
            if (space > 0 && line.AsSpan(0, space).SequenceEqual(key)
                && long.TryParse(line.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>This process's cgroup path in the hierarchy holding <paramref name="controller"/> ("" for v2's unified one).</summary>
    public static string? OwnPath(string controller, string procSelfCgroup = "/proc/self/cgroup")
    {
        foreach (var line in (Read(procSelfCgroup) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(':', 3);
            if (parts.Length == 3 && (controller.Length == 0 ? parts[0] == "0" && parts[1].Length == 0 : parts[1].Split(',').Contains(controller)))
            {
                return parts[2];
            }
        }

        return null;
    }

    /// <summary>Removes groups named llmgw-PID whose gateway is gone; a group that still has processes stays.</summary>
    public static void SweepStale(string parent, int ownPid)
    {
        if (!Directory.Exists(parent))
        {
            return;
        }

        foreach (var dir in Directory.EnumerateDirectories(parent, "llmgw-*"))
        {
            if (int.TryParse(Path.GetFileName(dir)["llmgw-".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && pid != ownPid && !Directory.Exists($"/proc/{pid}"))
            {
                TryRemove(dir);
            }
        }
    }

    /// <summary>Removes a group and the groups inside it (one per model), innermost first; a group still populated stays.</summary>
    public static void TryRemove(string dir)
    {
        try
        {
            foreach (var inner in Directory.EnumerateDirectories(dir))
            {
                TryRemove(inner);
            }

            Directory.Delete(dir); // cgroupfs: rmdir of a group without processes; its files go with it
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // still populated, or not ours: leave it
        }
    }
}
