using System.Runtime.InteropServices;

namespace LlmGateway.Interop;

/// <summary>libc's scheduling calls, for confining a child and changing its priority while it runs. Called only on Linux.</summary>
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
}
