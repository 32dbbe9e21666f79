using System.Globalization;
using System.Net;
using System.Net.Http.Json;

namespace LlmGateway.Tests.Units;

/// <summary>Without llmgw-launch (LlamaServer:LauncherPath empty and none in the cache) the gateway runs llama-server itself, and stops it.</summary>
/// <remarks>A real gateway and llama-server: what is under test is the process tree and its end, which no fake has.</remarks>
public sealed class NoLauncherTests : IDisposable
{
    // An empty cache: FindLauncher falls back to the cache when LauncherPath is empty, and scripts/test.sh's cache holds one.
    private readonly string _emptyCache = Directory.CreateTempSubdirectory("llmgw-nocache-").FullName;

    public void Dispose() => Directory.Delete(_emptyCache, recursive: true);

    [Fact]
    public async Task NoLauncher_TheGatewayIsLlamaServersParent_ServesThroughIt_AndStopsItOnSigterm()
    {
        var settings = GatewayProcess.DefaultSettings();
        settings["LlamaServer__LauncherPath"] = "";
        settings["LLMGW_CACHE"] = _emptyCache;
        await using var gateway = await GatewayProcess.StartAsync(settings);

        Assert.Contains("llmgw-launch was not found (LlamaServer:LauncherPath): llama-server runs directly", gateway.Output, StringComparison.Ordinal);
        var child = await gateway.ChildPidAsync();
        Assert.Equal("llama-server", Command(child));
        Assert.Equal(gateway.Pid, Parent(child)); // no launcher in between
        var socketDirectory = SocketDirectory(child);
        using var completion = await gateway.Http.PostAsJsonAsync("/v1/completions", new
        {
            model = await gateway.ModelIdAsync(),
            prompt = "Hello",
            max_tokens = 2,
        });
        Assert.Equal(HttpStatusCode.OK, completion.StatusCode);

        Assert.Equal(0, Posix.Kill(gateway.Pid, Posix.SigTerm));

        Assert.True(await gateway.WaitForExitAsync(Eventually.Ceiling), $"the gateway did not exit after SIGTERM:\n{gateway.Output}");
        Assert.Equal(0, gateway.ExitCode);
        Assert.False(Posix.IsAlive(child), $"llama-server (pid {child}) outlived the gateway that ran it directly:\n{gateway.Output}");
        Assert.False(Directory.Exists(socketDirectory), $"{socketDirectory} outlived the gateway");
    }

    private static int Parent(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
    }

    private static string Command(int pid) => File.ReadAllText($"/proc/{pid}/comm").Trim();

    /// <summary>The private directory holding llama-server's socket: the one after --host.</summary>
    internal static string SocketDirectory(int child)
    {
        var args = File.ReadAllText($"/proc/{child}/cmdline").Split('\0');
        return Path.GetDirectoryName(args[Array.IndexOf(args, "--host") + 1])!;
    }
}
