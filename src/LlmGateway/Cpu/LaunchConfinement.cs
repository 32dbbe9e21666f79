namespace LlmGateway.Cpu;

/// <summary>What a child gets before its first instruction: the groups it joins, its CPUs, idle scheduling.</summary>
/// <remarks>
/// A record between the backends that decide it and the containment that applies it (llmgw-launch's arguments,
/// or <see cref="LateConfinement"/> without the launcher), so no part reads command-line text back.
/// </remarks>
/// <param name="JoinFiles">cgroup.procs files the child is written into, in order.</param>
/// <param name="Cpus">CPUs for sched_setaffinity; null leaves the affinity alone (a cpuset holds it).</param>
/// <param name="SchedIdle">SCHED_IDLE from the start.</param>
public sealed record LaunchConfinement(IReadOnlyList<string> JoinFiles, IReadOnlyList<int>? Cpus, bool SchedIdle)
{
    public static readonly LaunchConfinement None = new([], null, false);

    public bool IsEmpty => JoinFiles.Count == 0 && Cpus is null && !SchedIdle;

    /// <summary>llmgw-launch's options: --join FILE..., --cpus LIST, --sched-idle.</summary>
    public IReadOnlyList<string> ToLauncherArguments()
    {
        List<string> args = [.. JoinFiles.SelectMany(f => new[] { "--join", f })];
        if (Cpus is { } cpus)
        {
            args.AddRange(["--cpus", CpuList.Format(cpus)]);
        }

        if (SchedIdle)
        {
            args.Add("--sched-idle");
        }

        return args;
    }
}
