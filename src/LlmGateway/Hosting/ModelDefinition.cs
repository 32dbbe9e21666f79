using LlmGateway.Cpu;
using LlmGateway.Memory;
using LlmGateway.Model;
using LlmGateway.Supervision;

namespace LlmGateway.Hosting;

/// <summary>One model as configured: its file and names, its llama-server settings, its memory plan and how it is kept.</summary>
/// <param name="Server">Section LlamaServer with this model's own ContextSize, Parallel and ExtraArguments.</param>
/// <param name="KeepAlive">Idle this long, its child stops; <see cref="TimeSpan.Zero"/> keeps it loaded.</param>
/// <param name="Preload">Loaded at start-up rather than at its first request.</param>
/// <param name="WarmupSystemPrompt">Sent once after every load, so the prompt cache holds it.</param>
/// <param name="Cpu">Its group inside the gateway's CPU confinement, and its weight there.</param>
public sealed record ModelDefinition(
    ServedModel Model, LlamaServerOptions Server, MemoryPlan Memory, TimeSpan KeepAlive, bool Preload, string? WarmupSystemPrompt, ChildGroup Cpu)
{
    public string Id => Model.Id;

    /// <summary>The tokens one request's context holds: no max_tokens above it can be honoured.</summary>
    public int SlotContext => Server.ContextSize / Server.Parallel;
}
