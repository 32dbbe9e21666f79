namespace LlmGateway.Tests;

/// <summary>One gateway with default settings, shared by the tests that do not disturb it.</summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public GatewayProcess Gateway { get; private set; } = null!;

    public async Task InitializeAsync() => Gateway = await GatewayProcess.StartAsync();

    public async Task DisposeAsync() => await Gateway.DisposeAsync();
}
