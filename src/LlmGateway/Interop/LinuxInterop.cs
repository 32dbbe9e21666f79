using System.Runtime.InteropServices;

namespace LlmGateway.Interop;

/// <summary>libc's scheduling and memory calls: confining a child, changing its priority while it runs, and returning the
/// gateway's own idle pages. Called only on Linux.</summary>
internal static partial class LinuxInterop
{
    public const int SchedOther = 0;
    public const int SchedIdle = 5;

    [StructLayout(LayoutKind.Sequential)]
    public struct SchedParam
    {
        public int Priority;
    }

    [LibraryImport("libc", EntryPoint = "sched_setscheduler", SetLastError = true)]
    public static partial int SchedSetScheduler(int tid, int policy, ref SchedParam param);

    /// <param name="mask">A cpu_set_t: one bit per CPU, in 64-bit words.</param>
    [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    public static partial int SchedSetAffinity(int tid, nuint size, ulong[] mask);

    /// <summary>madvise's advice to reclaim a range's pages now (Linux 5.4): clean file pages are dropped, to be read again on
    /// the next touch; pages that are shared with another process or need swap are left as they are.</summary>
    public const int MadvPageout = 21;

    /// <summary>madvise's advice that a range is read at random: a page fault reads that page alone, with no read-ahead.</summary>
    public const int MadvRandom = 1;

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    public static partial int Madvise(nint address, nuint length, int advice);

    /// <summary>struct rusage's first two fields (user and system time as timevals); the rest is not read.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ResourceUsage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
        private unsafe fixed long _rest[14];
    }

    public const int RusageSelf = 0;

    /// <summary>The CPU time of the whole calling process (all threads) in microseconds: one system call, no file.</summary>
    [LibraryImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    public static partial int GetResourceUsage(int who, out ResourceUsage usage);
}
