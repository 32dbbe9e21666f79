namespace LlmGateway.Cpu;

/// <summary>One model's child inside the gateway's confinement: its own group (cgroups) and its share when models compete.</summary>
/// <param name="Name">The group's directory name: safe on every filesystem, unique per model.</param>
/// <param name="Weight">Its relative CPU share, 1 to 10000 (100 is everyone's default): cgroup v2 cpu.weight, v1 cpu.shares scaled (100 = 1024).</param>
public sealed record ChildGroup(string Name, int Weight = ChildGroup.DefaultWeight)
{
    public const int DefaultWeight = 100;

    /// <summary>A group name from a model's position and id: "0-qwen2.5-0.5b", never a path.</summary>
    public static ChildGroup For(int index, string id, int weight = DefaultWeight)
    {
        var safe = new string([.. id.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-')]).Trim('-', '.');
        return new ChildGroup($"{index}-{(safe.Length > 48 ? safe[..48] : safe)}".TrimEnd('-'), weight);
    }

    /// <summary>v1 cpu.shares for the weight: 100 is the kernel's default 1024; at least 2, the kernel's least.</summary>
    public long Shares => Math.Max(2, Weight * 1024L / 100);
}
