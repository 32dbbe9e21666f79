namespace LlmGateway.Cpu;

/// <summary>One model's child inside the gateway's confinement: its own group (cgroups) and its share when models compete.</summary>
/// <param name="Name">The group's directory name: safe on every filesystem, unique per model.</param>
/// <param name="Weight">Its relative CPU share, 1 to 10000 (100 is everyone's default): cgroup v2 cpu.weight, v1 cpu.shares scaled (100 = 1024).</param>
/// <param name="Share">Its weight over every model's, 0 to 1: the part of the plan's threads it gets.</param>
public sealed record ChildGroup(string Name, int Weight = ChildGroup.DefaultWeight, double Share = 1)
{
    public const int DefaultWeight = 100;

    /// <summary>
    /// Its part of <paramref name="threads"/> (the plan's, for the whole budget), at least one: models that are busy at once
    /// then run no more threads together than the budget's cores, so none of them spins at ggml's barrier waiting for CPU
    /// the cap will not give. A model alone keeps its part.
    /// </summary>
    public int ThreadsOf(int threads) => Math.Max(1, (int)Math.Round(threads * Share, MidpointRounding.AwayFromZero));

    /// <summary>A group name from a model's position and id: "0-qwen2.5-0.5b", never a path.</summary>
    public static ChildGroup For(int index, string id, int weight = DefaultWeight, double share = 1)
    {
        var safe = new string([.. id.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-')]).Trim('-', '.');
        return new ChildGroup($"{index}-{(safe.Length > 48 ? safe[..48] : safe)}".TrimEnd('-'), weight, share);
    }

    /// <summary>v1 cpu.shares for the weight: 100 is the kernel's default 1024; at least 2, the kernel's least.</summary>
    public long Shares => Math.Max(2, Weight * 1024L / 100);
}
