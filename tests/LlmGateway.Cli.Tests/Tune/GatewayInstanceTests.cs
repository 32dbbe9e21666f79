using LlmGateway.Cli.Tune;
using LlmGateway.Tests;

namespace LlmGateway.Cli.Tests.Tune;

/// <summary>A candidate's gateway on the real gateway: a combination the supervisor gives up on fails the candidate at once.</summary>
public sealed class GatewayInstanceTests
{
    [Fact]
    public async Task A_backend_that_cannot_work_here_fails_the_start_with_its_reason_instead_of_waiting_out_the_ceiling()
    {
        // WindowsJob cannot work on Linux or macOS: the supervisor says "failed" at /ready and does not retry.
        var candidate = new Candidate(TestEnvironment.TinyModel, 100, "None", 1, 1, 100_000, 2048, 1, Backend: "WindowsJob");
        await using var gateway = GatewayInstance.Start(typeof(LlmGateway.Extensions).Assembly.Location,
        [
            new("LlamaServer__ExecutablePath", TestEnvironment.LlamaServer), new("LlamaServer__LauncherPath", TestEnvironment.Launcher),
            .. candidate.Settings(),
        ]);

        // A ceiling no start reaches: only the failed state can end the wait before it, and a TimeoutException would say it did not.
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => gateway.WaitUntilReadyAsync(Eventually.Ceiling * 4, CancellationToken.None));

        Assert.Contains("Cpu:Backend WindowsJob cannot work here", failure.Message, StringComparison.Ordinal);
    }
}
