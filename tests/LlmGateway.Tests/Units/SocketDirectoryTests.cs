using System.Runtime.Versioning;
using CliWrap;
using CliWrap.Buffered;

namespace LlmGateway.Tests.Units;

/// <summary>llama-server's UNIX socket sits in a directory only the gateway's user may enter: no other local user reaches the child.</summary>
/// <remarks>The supervisor makes the directory (Directory.CreateTempSubdirectory, 0700 on Unix) before every start; a real gateway shows it.</remarks>
public sealed class SocketDirectoryTests(SocketDirectoryTests.Gateway gateway) : IClassFixture<SocketDirectoryTests.Gateway>
{
    private const string Nobody = "65534";

    [Fact]
    [UnsupportedOSPlatform("windows")] // Unix file modes
    public async Task SocketDirectory_Is0700_AndOwnedByTheGatewaysUser()
    {
        var (directory, _) = await gateway.SocketAsync();

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
        // /proc/PID belongs to the process's user: the directory must belong to the same one.
        var owners = await Cli.Wrap("stat").WithArguments(["-c", "%u", directory, $"/proc/{gateway.Process.Pid}"]).ExecuteBufferedAsync();
        var lines = owners.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal(lines[1], lines[0]);
        Assert.StartsWith("llmgw-", Path.GetFileName(directory), StringComparison.Ordinal);
    }

    [OtherUserFact]
    public async Task AnotherUser_CannotConnectToTheSocket_NorReadTheKey()
    {
        var (directory, socket) = await gateway.SocketAsync();
        string[] curl = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--unix-socket", socket, "http://llama-server/health"];

        // The same command as the gateway's user connects: what fails below fails for want of permission.
        var ours = await Cli.Wrap(curl[0]).WithArguments(curl[1..]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        var theirs = await AsNobody(curl);
        var key = await AsNobody(["cat", Path.Combine(directory, "api-key")]);

        Assert.True(ours.IsSuccess, $"curl as ourselves: {ours.StandardError}");
        Assert.Equal("200", ours.StandardOutput);
        Assert.Equal(7, theirs.ExitCode); // curl: could not connect
        Assert.Equal("000", theirs.StandardOutput);
        Assert.NotEqual(0, key.ExitCode);
        Assert.Contains("Permission denied", key.StandardError, StringComparison.Ordinal);
    }

    private static Task<BufferedCommandResult> AsNobody(string[] command) =>
        Cli.Wrap("setpriv").WithArguments(["--reuid", Nobody, "--regid", Nobody, "--clear-groups", .. command])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();

    public sealed class Gateway : IAsyncLifetime
    {
        public GatewayProcess Process { get; private set; } = null!;

        public async Task<(string Directory, string Socket)> SocketAsync()
        {
            var directory = NoLauncherTests.SocketDirectory(await Process.ChildPidAsync());
            return (directory, Path.Combine(directory, "llama.sock"));
        }

        public async Task InitializeAsync() => Process = await GatewayProcess.StartAsync();

        public async Task DisposeAsync() => await Process.DisposeAsync();
    }
}
