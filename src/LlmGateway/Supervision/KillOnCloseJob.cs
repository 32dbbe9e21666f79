using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using static LlmGateway.Interop.WindowsInterop;

namespace LlmGateway.Supervision;

/// <summary>Windows' answer to orphans: a job object that kills its processes when its last handle closes.</summary>
/// <remarks>
/// The gateway holds the only handle, and Windows closes it when the gateway exits however it exits,
/// so llama-server cannot outlive it. The child is assigned right after it starts; starting it suspended
/// inside the job is the CPU-governance work's, which also puts a CPU rate on this job.
/// </remarks>
[SupportedOSPlatform("windows")]
public sealed class KillOnCloseJob : IDisposable
{
    private nint _handle;

    private KillOnCloseJob(nint handle) => _handle = handle;

    public static KillOnCloseJob Create()
    {
        var handle = CreateJobObject(0, null);
        if (handle == 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "CreateJobObject failed");
        }

        var info = new JobObjectExtendedLimitInformation
        {
            BasicLimitInformation = new JobObjectBasicLimitInformation { LimitFlags = JobObjectLimitKillOnJobClose },
        };
        if (!SetInformationJobObject(handle, JobObjectExtendedLimitInformationClass, ref info, (uint)Marshal.SizeOf<JobObjectExtendedLimitInformation>()))
        {
            var error = Marshal.GetLastPInvokeError();
            CloseHandle(handle);
            throw new Win32Exception(error, "SetInformationJobObject(kill on close) failed");
        }

        return new KillOnCloseJob(handle);
    }

    public void Assign(int processId)
    {
        var process = OpenProcess(ProcessSetQuota | ProcessTerminate, false, (uint)processId);
        if (process == 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), $"OpenProcess({processId}) failed");
        }

        try
        {
            if (!AssignProcessToJobObject(_handle, process))
            {
                throw new Win32Exception(Marshal.GetLastPInvokeError(), $"AssignProcessToJobObject({processId}) failed");
            }
        }
        finally
        {
            CloseHandle(process);
        }
    }

    public void Dispose()
    {
        var handle = Interlocked.Exchange(ref _handle, 0);
        if (handle != 0)
        {
            CloseHandle(handle);
        }
    }
}
