// How the tests share this project's two-core machines, chosen on purpose (xunit.runner.json holds the same numbers):
// - Two test collections at once, and no more: most tests start a real gateway and llama-server, and a third would only
//   queue for the same two cores. The conservative algorithm starts a test only when one of the two has finished, so an
//   async test awaiting a child process does not let a third one start beside it.
// - A class is its own collection (xunit's default) unless it says otherwise: ApiGateways groups the API tests that share
//   three gateways. Pure unit tests and in-process tests run in parallel with one gateway test, costing it little.
// - Tests that measure CPU, load every core, or hold long generations are in MachineAlone, which xunit runs after all the
//   others, alone, one class after another: they neither disturb the rest nor are disturbed by it.
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerClass, MaxParallelThreads = 2)]

namespace LlmGateway.Tests;

/// <summary>
/// The collection of tests that need the machine to themselves: CPU governance and sampling (they read the kernel's CPU
/// counters), the default profile (it starts a CPU hog per core), and the long or many-client generations (idle timeout,
/// liveness, child kills under eight clients, slow clients, the fuzzer).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MachineAlone
{
    public const string Name = "Machine alone";
}
