namespace LlmGateway.Supervision;

/// <summary>What a model's supervisor tells observers (telemetry) without depending on them.</summary>
public interface ISupervisionEvents
{
    /// <summary>The model's llama-server answered /health <paramref name="loadTime"/> after it was started.</summary>
    void Loaded(string model, TimeSpan loadTime);

    /// <summary>The model's child was stopped on purpose: <paramref name="reason"/> is idle, admin or shutdown.</summary>
    void Unloaded(string model, string reason);
}
