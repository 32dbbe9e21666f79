using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using static LlmGateway.Interop.WindowsInterop;

namespace LlmGateway.Interop;

/// <summary>Windows' answer to orphans: a job object that kills its processes when its last handle closes.</summary>
/// <remarks>
/// The gateway holds the only handle, and Windows closes it when the gateway exits however it exits,
/// so llama-server cannot outlive it. The child is assigned right after it starts (CliWrap cannot start
/// it suspended). The same job carries the CPU limits: a hard rate cap, affinity and priority class.
/// </remarks>
[SupportedOSPlatform("windows")]
public sealed class KillOnCloseJob : IDisposable
{
    private nint _handle;

    private KillOnCloseJob(nint handle) => _handle = handle;

    /// <summary>The gateway's one job, made once in DI: the containment assigns children to it, the CPU backend limits it.</summary>
    public static KillOnCloseJob Create()
    {
        var handle = CreateJobObject(0, null);
        if (handle == 0)
        {
            throw Failure("CreateJobObject");
        }

        var job = new KillOnCloseJob(handle);
        try
        {
            job.SetLimits(null, false);
        }
        catch
        {
            job.Dispose();
            throw;
        }

        return job;
    }

    public void Assign(int processId)
    {
        var process = OpenProcess(ProcessSetQuota | ProcessTerminate, false, (uint)processId);
        if (process == 0)
        {
            throw Failure($"OpenProcess({processId})");
        }

        try
        {
            if (!AssignProcessToJobObject(Handle, process))
            {
                throw Failure($"AssignProcessToJobObject({processId})");
            }
        }
        finally
        {
            CloseHandle(process);
        }
    }

    /// <summary>A hard cap in percent of the whole machine (all processor groups); null removes it. Applies to running processes at once.</summary>
    public void SetCpuRate(double? percentOfMachine)
    {
        var info = percentOfMachine is { } percent
            ? new JobObjectCpuRateControlInformation { ControlFlags = JobObjectCpuRateControlEnable | JobObjectCpuRateControlHardCap, CpuRate = CpuRate(percent) }
            : new JobObjectCpuRateControlInformation { ControlFlags = 0 };
        if (!SetInformationJobObject(Handle, JobObjectCpuRateControlInformationClass, ref info, (uint)Marshal.SizeOf<JobObjectCpuRateControlInformation>()))
        {
            throw Failure("SetInformationJobObject(CPU rate; needs Windows 8 or Server 2012)");
        }
    }

    /// <summary>
    /// The job's share against its sibling jobs (one per model, nested in the gateway's, whose hard cap holds them all):
    /// weight-based CPU rate control, 1 to 9.
    /// </summary>
    public void SetCpuWeight(int cpuWeight)
    {
        var info = new JobObjectCpuRateControlInformation { ControlFlags = JobObjectCpuRateControlEnable | JobObjectCpuRateControlWeightBased, Weight = JobWeight(cpuWeight) };
        if (!SetInformationJobObject(Handle, JobObjectCpuRateControlInformationClass, ref info, (uint)Marshal.SizeOf<JobObjectCpuRateControlInformation>()))
        {
            throw Failure("SetInformationJobObject(CPU weight; needs Windows 8 or Server 2012)");
        }
    }

    /// <summary>Affinity (null: none) and idle priority class, always with kill-on-close.</summary>
    /// <remarks>The basic limit flags are replaced as a whole, so kill-on-close is set again every time.</remarks>
    public void SetLimits(ulong? affinityMask, bool idlePriority)
    {
        var basic = new JobObjectBasicLimitInformation { LimitFlags = JobObjectLimitKillOnJobClose };
        if (affinityMask is { } mask)
        {
            basic.LimitFlags |= JobObjectLimitAffinity;
            basic.Affinity = (nuint)mask;
        }

        if (idlePriority)
        {
            basic.LimitFlags |= JobObjectLimitPriorityClass;
            basic.PriorityClass = IdlePriorityClass;
        }

        var info = new JobObjectExtendedLimitInformation { BasicLimitInformation = basic };
        if (!SetInformationJobObject(Handle, JobObjectExtendedLimitInformationClass, ref info, (uint)Marshal.SizeOf<JobObjectExtendedLimitInformation>()))
        {
            throw Failure("SetInformationJobObject(limits)");
        }
    }

    /// <summary>User plus kernel time of every process the job has held, the exited ones included.</summary>
    public TimeSpan ReadCpuTime()
    {
        if (!QueryInformationJobObject(Handle, JobObjectBasicAccountingInformationClass, out var info, (uint)Marshal.SizeOf<JobObjectBasicAccountingInformation>(), 0))
        {
            throw Failure("QueryInformationJobObject(accounting)");
        }

        return TimeSpan.FromTicks(info.TotalUserTime + info.TotalKernelTime); // both 100 ns units, as TimeSpan ticks
    }

    public void Dispose()
    {
        var handle = Interlocked.Exchange(ref _handle, 0);
        if (handle != 0)
        {
            CloseHandle(handle);
        }
    }

    /// <summary>JOBOBJECT_CPU_RATE_CONTROL_INFORMATION.Weight (1 to 9, 5 the default) for a model's CpuWeight (100 the default).</summary>
    internal static uint JobWeight(int cpuWeight) => (uint)Math.Clamp(Math.Round(cpuWeight * 5 / 100.0, MidpointRounding.AwayFromZero), 1, 9);

    /// <summary>JOBOBJECT_CPU_RATE_CONTROL_INFORMATION.CpuRate: cycles per 10,000; 0 is refused, so the least is 1.</summary>
    internal static uint CpuRate(double percentOfMachine) => (uint)Math.Clamp(Math.Round(percentOfMachine * 100), 1, 10_000);

    private nint Handle
    {
        get
        {
            var handle = _handle;
            ObjectDisposedException.ThrowIf(handle == 0, this);
            return handle;
        }
    }

    /// <summary>The last Win32 error, with the system's text for it (a custom message would otherwise replace it).</summary>
    private static Win32Exception Failure(string call)
    {
        var error = Marshal.GetLastPInvokeError();
        return new Win32Exception(error, $"{call} failed: {Marshal.GetPInvokeErrorMessage(error)}");
    }
}
