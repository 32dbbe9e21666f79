using System.Runtime.InteropServices;
using LlmGateway.Interop;

namespace LlmGateway.Tests;

/// <summary>
/// The job object structs against winnt.h's 64-bit layout. Windows cannot run here; these checks are
/// what keeps a wrong field from silently passing garbage flags to SetInformationJobObject.
/// </summary>
public sealed class WindowsInteropLayoutTests
{
    [Fact]
    public void BasicLimitInformation_HasTheWin64SizeAndOffsets()
    {
        Assert.Equal(64, Marshal.SizeOf<WindowsInterop.JobObjectBasicLimitInformation>());
        Assert.Equal(16, Offset<WindowsInterop.JobObjectBasicLimitInformation>("LimitFlags"));
        Assert.Equal(24, Offset<WindowsInterop.JobObjectBasicLimitInformation>("MinimumWorkingSetSize"));
        Assert.Equal(40, Offset<WindowsInterop.JobObjectBasicLimitInformation>("ActiveProcessLimit"));
        Assert.Equal(48, Offset<WindowsInterop.JobObjectBasicLimitInformation>("Affinity"));
        Assert.Equal(56, Offset<WindowsInterop.JobObjectBasicLimitInformation>("PriorityClass"));
        Assert.Equal(60, Offset<WindowsInterop.JobObjectBasicLimitInformation>("SchedulingClass"));
    }

    [Fact]
    public void ExtendedLimitInformation_HasTheWin64SizeAndOffsets()
    {
        Assert.Equal(48, Marshal.SizeOf<WindowsInterop.IoCounters>());
        Assert.Equal(144, Marshal.SizeOf<WindowsInterop.JobObjectExtendedLimitInformation>());
        Assert.Equal(64, Offset<WindowsInterop.JobObjectExtendedLimitInformation>("IoInfo"));
        Assert.Equal(112, Offset<WindowsInterop.JobObjectExtendedLimitInformation>("ProcessMemoryLimit"));
        Assert.Equal(136, Offset<WindowsInterop.JobObjectExtendedLimitInformation>("PeakJobMemoryUsed"));
    }

    private static int Offset<T>(string field) => (int)Marshal.OffsetOf<T>(field);
}
