using ArchUnitNET.Domain;
using ArchUnitNET.Fluent;
using ArchUnitNET.Loader;
using static ArchUnitNET.Fluent.ArchRuleDefinition;

namespace LlmGateway.Tests.Units;

/// <summary>
/// Dependencies flow one way between the gateway's folders (each folder is a namespace LlmGateway.Folder, its
/// sub-namespaces included): the HTTP edges (Health, Proxy) over Hosting, Supervision, Containment, Cpu and Interop;
/// Telemetry and Scoring observe.
/// </summary>
/// <remarks>
/// Checked on the compiled assembly with ArchUnitNET rather than on the source text: the IL holds every type a folder
/// really uses, however the source names it (a using, a qualified name, a name relative to LlmGateway such as
/// <c>Scoring.TargetsOptions</c>, or a type inferred without being named). Cycles are found here over ArchUnitNET's
/// dependencies: its own slice rule (0.13.5) makes a slice of each sub-namespace, so Cpu and Cpu.Backends would count
/// as two folders in a cycle.
/// </remarks>
public sealed class ArchitectureTests
{
    private static readonly Architecture Gateway = new ArchLoader().LoadAssemblies(typeof(Extensions).Assembly).Build();

    [Fact]
    public void Folders_DependOnEachOtherWithoutCycles()
    {
        var graph = FolderGraph();
        Assert.Contains("Cpu", graph.Keys); // the graph was read: the assembly's folders are in it

        var cycle = FindCycle(graph);

        Assert.True(cycle is null, $"A cycle between folders:{Environment.NewLine}{string.Join(Environment.NewLine, cycle ?? [])}");
    }

    [Fact]
    public void Folders_DoNotReachTheCompositionRoot() =>
        // The root namespace (Extensions, StartupErrors) and Program compose the folders; nothing in them may call back.
        AssertHolds(Types().That().ResideInNamespaceMatching(@"^LlmGateway\..+").Should().NotDependOnAny(
            Types().That().ResideInNamespace("LlmGateway").Or().HaveFullName("Program")));

    [Fact]
    public void Interop_DependsOnNoOtherFolder() =>
        AssertHolds(Types().That().ResideInNamespaceMatching(@"^LlmGateway\.Interop(\..+)?$").Should().NotDependOnAny(
            Types().That().ResideInNamespaceMatching(@"^LlmGateway(\..+)?$").And().DoNotResideInNamespaceMatching(@"^LlmGateway\.Interop(\..+)?$")));

    private static void AssertHolds(IArchRule rule)
    {
        var failures = rule.Evaluate(Gateway).Where(r => !r.Passed).Select(r => r.Description).ToList();
        Assert.True(failures.Count == 0, $"{rule.Description}:{Environment.NewLine}{string.Join(Environment.NewLine, failures)}");
    }

    /// <summary>Folder -> the folders it uses, each with one type dependency that shows it.</summary>
    private static Dictionary<string, SortedDictionary<string, string>> FolderGraph()
    {
        var graph = new Dictionary<string, SortedDictionary<string, string>>();
        foreach (var type in Gateway.Types)
        {
            if (Folder(type) is not { } from)
            {
                continue;
            }

            var uses = graph.TryGetValue(from, out var u) ? u : graph[from] = [];
            foreach (var d in type.Dependencies)
            {
                // LlmGateway.Gguf is a project of its own (a leaf), not a folder of this one.
                if (Folder(d.Target) is { } to && to != from && d.Target.Assembly?.FullName == type.Assembly.FullName)
                {
                    uses.TryAdd(to, $"{type.FullName} -> {d.Target.FullName}");
                }
            }
        }

        return graph;
    }

    // Generic parameters have no namespace.
    private static string? Folder(IType type) =>
        type.Namespace?.FullName.Split('.') is ["LlmGateway", var folder, ..] ? folder : null;

    /// <summary>The first cycle a depth-first walk meets, as its edges with their evidence; null when there is none.</summary>
    private static List<string>? FindCycle(Dictionary<string, SortedDictionary<string, string>> graph)
    {
        var done = new HashSet<string>();
        var path = new List<string>();

        List<string>? Visit(string folder)
        {
            if (path.IndexOf(folder) is var at && at >= 0)
            {
                var loop = path[at..].Append(folder).ToList();
                return [.. loop.Zip(loop.Skip(1), (a, b) => $"{a} -> {b}: {graph[a][b]}")];
            }

            if (!done.Add(folder))
            {
                return null;
            }

            path.Add(folder);
            foreach (var next in graph.GetValueOrDefault(folder)?.Keys ?? Enumerable.Empty<string>())
            {
                if (Visit(next) is { } cycle)
                {
                    return cycle;
                }
            }

            path.RemoveAt(path.Count - 1);
            return null;
        }

        return graph.Keys.Order(StringComparer.Ordinal).Select(Visit).FirstOrDefault(c => c is not null);
    }
}
