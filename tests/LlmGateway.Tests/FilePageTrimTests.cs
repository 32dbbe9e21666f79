using LlmGateway.Cpu;

namespace LlmGateway.Tests;

/// <summary>The idle trim pages out the files the gateway maps, and nothing else.</summary>
public sealed class FilePageTrimTests
{
    [Fact]
    public void FileMappings_TakesRegularFiles_AndLeavesAnonymousMemoryStacksDevicesAndJitCode()
    {
        string[] maps =
        [
            "7f0000000000-7f0000002000 r--p 00000000 fe:00 1234                       /usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.0/libcoreclr.so",
            "7f0000002000-7f0000010000 r-xp 00002000 fe:00 1234                       /usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.0/libcoreclr.so",
            "7f0000010000-7f0000020000 rw-p 00000000 00:00 0 ",
            "7f0000020000-7f0000030000 rw-p 00000000 00:00 0                          [heap]",
            "7f0000030000-7f0000031000 r-xs 00000000 00:01 99                         /memfd:doublemapper (deleted)",
            "7f0000031000-7f0000032000 rw-s 00000000 00:05 7                          /dev/zero (deleted)",
            "7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0                          [stack]",
            "7f0000040000-7f0000041000 r--p 00000000 fe:00 5678                       /opt/my app/with space.dll",
            "not a maps line",
        ];

        var ranges = FilePageTrim.FileMappings(maps).ToList();

        Assert.Equal([(0x7f0000000000UL, 0x2000UL), (0x7f0000002000UL, 0xe000UL), (0x7f0000040000UL, 0x1000UL)], ranges);
    }

    [Fact]
    public void Run_AdvisesThisProcessesFileMappings_AndTheProcessGoesOn()
    {
        Assert.True(FilePageTrim.Run() > 0, "No file mapping of the test process was advised.");
        // The code and data just paged out are read again on their next use.
        Assert.NotEmpty(FilePageTrim.FileMappings(File.ReadLines("/proc/self/maps")));
    }
}
