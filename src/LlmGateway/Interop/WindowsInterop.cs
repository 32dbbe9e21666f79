using System.Runtime.InteropServices;

namespace LlmGateway.Interop;

/// <summary>The Win32 job object API (kernel32), as the supervisor and the CPU backend use it. Compiled everywhere, called only on Windows.</summary>
/// <remarks>Struct layouts follow winnt.h for 64-bit Windows; WindowsInteropLayoutTests checks sizes and offsets.</remarks>
internal static partial class WindowsInterop
{
    public const int JobObjectBasicAccountingInformationClass = 1;     // JobObjectBasicAccountingInformation
    public const int JobObjectExtendedLimitInformationClass = 9;       // JobObjectExtendedLimitInformation
    public const int JobObjectCpuRateControlInformationClass = 15;     // JobObjectCpuRateControlInformation (Windows 8 / Server 2012)
    public const uint JobObjectLimitAffinity = 0x10;                   // JOB_OBJECT_LIMIT_AFFINITY
    public const uint JobObjectLimitPriorityClass = 0x20;              // JOB_OBJECT_LIMIT_PRIORITY_CLASS
    public const uint JobObjectLimitKillOnJobClose = 0x2000;           // JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
    public const uint JobObjectCpuRateControlEnable = 0x1;             // JOB_OBJECT_CPU_RATE_CONTROL_ENABLE
    public const uint JobObjectCpuRateControlWeightBased = 0x2;        // JOB_OBJECT_CPU_RATE_CONTROL_WEIGHT_BASED
    public const uint JobObjectCpuRateControlHardCap = 0x4;            // JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP
    public const uint JobObjectCpuRateControlMinMaxRate = 0x10;        // JOB_OBJECT_CPU_RATE_CONTROL_MIN_MAX_RATE
    public const uint IdlePriorityClass = 0x40;                        // IDLE_PRIORITY_CLASS
    public const uint NormalPriorityClass = 0x20;                      // NORMAL_PRIORITY_CLASS
    public const ushort AllProcessorGroups = 0xffff;                   // ALL_PROCESSOR_GROUPS
    public const uint ProcessSetQuota = 0x0100;                        // PROCESS_SET_QUOTA
    public const uint ProcessTerminate = 0x0001;                       // PROCESS_TERMINATE

    [StructLayout(LayoutKind.Sequential)]
    public struct JobObjectBasicLimitInformation
    {
        public long PerProcessUserTimeLimit;
        public long PerJobUserTimeLimit;
        public uint LimitFlags;
        public nuint MinimumWorkingSetSize;
        public nuint MaximumWorkingSetSize;
        public uint ActiveProcessLimit;
        public nuint Affinity;
        public uint PriorityClass;
        public uint SchedulingClass;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct IoCounters
    {
        public ulong ReadOperationCount;
        public ulong WriteOperationCount;
        public ulong OtherOperationCount;
        public ulong ReadTransferCount;
        public ulong WriteTransferCount;
        public ulong OtherTransferCount;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct JobObjectExtendedLimitInformation
    {
        public JobObjectBasicLimitInformation BasicLimitInformation;
        public IoCounters IoInfo;
        public nuint ProcessMemoryLimit;
        public nuint JobMemoryLimit;
        public nuint PeakProcessMemoryUsed;
        public nuint PeakJobMemoryUsed;
    }

    /// <summary>JOBOBJECT_CPU_RATE_CONTROL_INFORMATION: the flags, then a union of the rate, the weight, or a min/max pair.</summary>
    [StructLayout(LayoutKind.Explicit)]
    public struct JobObjectCpuRateControlInformation
    {
        [FieldOffset(0)]
        public uint ControlFlags;

        /// <summary>Cycles per 10,000 of the whole machine's (percent × 100, 1..10000), with HARD_CAP.</summary>
        [FieldOffset(4)]
        public uint CpuRate;

        /// <summary>1..9, with WEIGHT_BASED.</summary>
        [FieldOffset(4)]
        public uint Weight;

        [FieldOffset(4)]
        public ushort MinRate;

        [FieldOffset(6)]
        public ushort MaxRate;
    }

    /// <summary>JOBOBJECT_BASIC_ACCOUNTING_INFORMATION: times in 100 ns units, over every process the job has held.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct JobObjectBasicAccountingInformation
    {
        public long TotalUserTime;
        public long TotalKernelTime;
        public long ThisPeriodTotalUserTime;
        public long ThisPeriodTotalKernelTime;
        public uint TotalPageFaultCount;
        public uint TotalProcesses;
        public uint ActiveProcesses;
        public uint TotalTerminatedProcesses;
    }

    [LibraryImport("kernel32.dll", EntryPoint = "CreateJobObjectW", SetLastError = true, StringMarshalling = StringMarshalling.Utf16)]
    public static partial nint CreateJobObject(nint attributes, string? name);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool SetInformationJobObject(nint job, int infoClass, ref JobObjectExtendedLimitInformation info, uint length);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool SetInformationJobObject(nint job, int infoClass, ref JobObjectCpuRateControlInformation info, uint length);

    /// <param name="returnLength">LPDWORD, optional: 0 for none.</param>
    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool QueryInformationJobObject(nint job, int infoClass, out JobObjectBasicAccountingInformation info, uint length, nint returnLength);

    /// <summary>Logical processors in one group, or in all with <see cref="AllProcessorGroups"/>; 0 on failure.</summary>
    [LibraryImport("kernel32.dll", SetLastError = true)]
    public static partial uint GetActiveProcessorCount(ushort groupNumber);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool AssignProcessToJobObject(nint job, nint process);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    public static partial nint OpenProcess(uint access, [MarshalAs(UnmanagedType.Bool)] bool inheritHandle, uint processId);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool CloseHandle(nint handle);
}
