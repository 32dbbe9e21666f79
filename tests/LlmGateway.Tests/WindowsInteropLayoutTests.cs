using System.Runtime.InteropServices;
using LlmGateway.Cpu.Backends;
using LlmGateway.Interop;

namespace LlmGateway.Tests;

/// <summary>
/// The job object structs against winnt.h's 64-bit layout, and the arithmetic of the job object CPU
/// backend. Nothing here runs on Windows or calls Win32: these checks are what keeps a wrong field from
/// silently passing garbage flags to SetInformationJobObject, and a wrong bit or rate from a wrong limit.
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

    [Fact]
    public void CpuRateControlInformation_IsFlagsThenAFourByteUnion()
    {
        Assert.Equal(8, Marshal.SizeOf<WindowsInterop.JobObjectCpuRateControlInformation>());
        Assert.Equal(0, Offset<WindowsInterop.JobObjectCpuRateControlInformation>("ControlFlags"));
        Assert.Equal(4, Offset<WindowsInterop.JobObjectCpuRateControlInformation>("CpuRate"));
        Assert.Equal(4, Offset<WindowsInterop.JobObjectCpuRateControlInformation>("Weight"));
        Assert.Equal(4, Offset<WindowsInterop.JobObjectCpuRateControlInformation>("MinRate"));
        Assert.Equal(6, Offset<WindowsInterop.JobObjectCpuRateControlInformation>("MaxRate"));
    }

    [Fact]
    public void BasicAccountingInformation_HasTheWin64SizeAndOffsets()
    {
        Assert.Equal(48, Marshal.SizeOf<WindowsInterop.JobObjectBasicAccountingInformation>());
        Assert.Equal(0, Offset<WindowsInterop.JobObjectBasicAccountingInformation>("TotalUserTime"));
        Assert.Equal(8, Offset<WindowsInterop.JobObjectBasicAccountingInformation>("TotalKernelTime"));
        Assert.Equal(32, Offset<WindowsInterop.JobObjectBasicAccountingInformation>("TotalPageFaultCount"));
        Assert.Equal(44, Offset<WindowsInterop.JobObjectBasicAccountingInformation>("TotalTerminatedProcesses"));
    }

    // The methods below are pure arithmetic on Windows-only types; no Win32 call sits behind them.
#pragma warning disable CA1416
    [Theory]
    [InlineData(25.0, 2500u)]
    [InlineData(33.333, 3333u)]
    [InlineData(0.001, 1u)]
    [InlineData(100.0, 10000u)]
    [InlineData(150.0, 10000u)]
    public void CpuRate_IsPercentTimesAHundred_Within1To10000(double percent, uint rate) =>
        Assert.Equal(rate, KillOnCloseJob.CpuRate(percent));

    [Fact]
    public void AffinityMask_SetsOneBitPerCpu()
    {
        Assert.Equal(0b1011UL, WindowsJobBackend.AffinityMask([0, 1, 3]));
        Assert.Equal(1UL << 63, WindowsJobBackend.AffinityMask([63]));
        Assert.Equal(0UL, WindowsJobBackend.AffinityMask([]));
    }

    [Fact]
    public void AffinityMask_RefusesCpusBeyondOneProcessorGroup() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => WindowsJobBackend.AffinityMask([64]));

    [Theory]
    [InlineData(50.0, 8, 8, 50.0)]
    [InlineData(50.0, 4, 8, 25.0)]
    [InlineData(50.0, 8, 0, 50.0)]
    public void PercentOfMachine_ScalesThePlansCoresToEveryProcessor(double percent, int cores, int machine, double expected) =>
        Assert.Equal(expected, WindowsJobBackend.PercentOfMachine(percent, cores, machine), 6);
#pragma warning restore CA1416

    private static int Offset<T>(string field) => (int)Marshal.OffsetOf<T>(field);

    [Theory]
    [InlineData(100, 5u)] // every model's default: Windows' default weight
    [InlineData(1, 1u)]
    [InlineData(50, 3u)] // 2.5 rounds up
    [InlineData(180, 9u)]
    [InlineData(10_000, 9u)]
    public void ModelsCpuWeight_MapsToAJobWeightOfOneToNine(int cpuWeight, uint jobWeight)
    {
#pragma warning disable CA1416 // pure arithmetic on a Windows-only type
        Assert.Equal(jobWeight, KillOnCloseJob.JobWeight(cpuWeight));
#pragma warning restore CA1416
    }
}
