using System.ClientModel;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OpenAI.Chat;

namespace LlmGateway.Tests;

/// <summary>
/// Two synthetic models of different shapes (tiny and tiny-wide), each its own llama-server: routed by id or alias,
/// loaded on their first request, unloaded after their keep-alive, and driven by the admin commands.
/// </summary>
public sealed class ModelsTests
{
    private const string Small = "small";
    private const string Wide = "wide";

    /// <summary>Both models listed, neither preloaded (several models: loaded on demand), with the given overrides.</summary>
    private static Dictionary<string, string?> TwoModels(params (string Key, string? Value)[] overrides)
    {
        var settings = GatewayProcess.DefaultSettings();
        settings.Remove("Model__Path");
        settings["Models__0__Path"] = TestEnvironment.TinyModel;
        settings["Models__0__Id"] = Small;
        settings["Models__0__Aliases__0"] = "gpt-4o-mini";
        settings["Models__1__Path"] = TestEnvironment.WideModel;
        settings["Models__1__Id"] = Wide;
        settings["Models__1__ContextSize"] = "1024";
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        return settings;
    }

    [Fact]
    public async Task TwoModels_ListedUnloaded_ThenEachRequestIsServedByItsOwnModel()
    {
        await using var gateway = await GatewayProcess.StartAsync(TwoModels());

        var listed = await ModelsAsync(gateway);
        Assert.Equal("unloaded", listed[Small].GetProperty("state").GetString());
        Assert.Equal("unloaded", listed["gpt-4o-mini"].GetProperty("state").GetString());
        Assert.Equal("unloaded", listed[Wide].GetProperty("state").GetString());
        Assert.True(listed[Wide].GetProperty("meta").GetProperty("parameters").GetInt64() > listed[Small].GetProperty("meta").GetProperty("parameters").GetInt64(),
            "the wide model has more parameters than the tiny one");

        // The alias reaches the small model: llama-server answers with the model's own id (its --alias).
        Assert.Equal(Small, (await AskAsync(gateway, "gpt-4o-mini")).Model);
        listed = await ModelsAsync(gateway);
        Assert.Equal("ready", listed[Small].GetProperty("state").GetString());
        Assert.Equal("unloaded", listed[Wide].GetProperty("state").GetString());

        Assert.Equal(Wide, (await AskAsync(gateway, Wide)).Model);
        var ready = await gateway.ReadyStateAsync();
        var pids = ready.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("pid").GetInt32()).ToList();
        Assert.Equal(2, pids.Distinct().Count());
        Assert.All(pids, pid => Assert.True(Posix.IsAlive(pid), $"llama-server {pid} is alive"));
    }

    [Fact]
    public async Task UnknownModel_Gets404_NamingIt()
    {
        await using var gateway = await GatewayProcess.StartAsync(TwoModels());
        var chat = new ChatClient("no-such-model", new ApiKeyCredential("unused"), OpenAiOptions.NoRetries(gateway));

        var error = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage("Hi.")]));

        Assert.Equal(404, error.Status);
        Assert.Contains("no-such-model", error.Message, StringComparison.Ordinal);
        using var single = await gateway.Http.GetAsync("/v1/models/no-such-model");
        Assert.Equal(HttpStatusCode.NotFound, single.StatusCode);
        var models = await ModelsAsync(gateway);
        Assert.All(models.Values, m => Assert.Equal("unloaded", m.GetProperty("state").GetString())); // nothing was loaded for it
    }

    [Fact]
    public async Task RequestsArrivingWhileTheModelLoads_AreAllServedByOneLoad()
    {
        await using var gateway = await GatewayProcess.StartAsync(TwoModels());

        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => AskAsync(gateway, Wide)));

        Assert.All(answers, a => Assert.Equal(Wide, a.Model));
        var metrics = await gateway.Http.GetStringAsync("/metrics");
        Assert.Equal(1, Sample(metrics, "llmgw_model_loads_total", Wide));
        Assert.Equal(1, (await gateway.ReadyStateAsync()).GetProperty("models")[1].GetProperty("starts").GetInt32());
    }

    [Fact]
    public async Task ClientThatCannotWaitForTheLoad_Gets503WithRetryAfter_AndTheLoadGoesOn()
    {
        await using var gateway = await GatewayProcess.StartAsync(TwoModels(("Models__LoadWaitSeconds", "0")));

        using var response = await gateway.Http.PostAsJsonAsync("/v1/chat/completions", Body(Wide));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After: {response.Headers.RetryAfter}");
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("server_error", error.GetProperty("type").GetString());
        Assert.Contains("loading", error.GetProperty("message").GetString(), StringComparison.Ordinal);

        // The request started the load, which goes on without it: the model becomes ready, and the next request is served.
        await Eventually.UntilAsync(() => StateAsync(gateway, Wide), s => s == "ready", "the wide model to finish the load the refused request started");
        using var next = await gateway.Http.PostAsJsonAsync("/v1/chat/completions", Body(Wide));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task IdleModel_IsUnloadedAfterItsKeepAlive_ItsProcessGone_ItsMemoryReturned()
    {
        // The small model keeps itself loaded (0); the wide one goes after one idle second.
        await using var gateway = await GatewayProcess.StartAsync(TwoModels(("Models__0__KeepAliveSeconds", "0"), ("Models__1__KeepAliveSeconds", "1")));
        await AskAsync(gateway, Small);
        await AskAsync(gateway, Wide);
        var models = (await gateway.ReadyStateAsync()).GetProperty("models");
        var (smallPid, widePid) = (models[0].GetProperty("pid").GetInt32(), models[1].GetProperty("pid").GetInt32());

        await Eventually.UntilAsync(() => StateAsync(gateway, Wide), s => s == "unloaded", "the wide model to be unloaded after its keep-alive");

        await Eventually.UntilAsync(() => Task.FromResult(Posix.IsAlive(widePid)), alive => !alive, "the wide model's llama-server to exit");
        Assert.True(Posix.IsAlive(smallPid), "the small model, kept loaded, still runs");
        Assert.Equal("ready", await StateAsync(gateway, Small));
        var metrics = await gateway.Http.GetStringAsync("/metrics");
        Assert.Equal(1, Sample(metrics, "llmgw_model_unloads_total", Wide, "reason=\"idle\""));
        // Its memory is returned: what the sampler counts for the children is the small model's alone now.
        var rss = await Eventually.UntilAsync(
            async () => (await gateway.Http.GetFromJsonAsync<JsonElement>("/admin/cpu")).GetProperty("child_rss_bytes").GetInt64(),
            bytes => bytes > 0 && bytes <= ResidentBytes(smallPid) * 1.1, "the children's resident memory to be the small model's alone");
        Assert.True(rss > 0);

        // Unloaded is not failed: the next request loads it again.
        Assert.Equal(Wide, (await AskAsync(gateway, Wide)).Model);
    }

    [Fact]
    public async Task AdminLoadAndUnload_StartAndStopTheModel()
    {
        await using var gateway = await GatewayProcess.StartAsync(TwoModels());

        using var load = await gateway.Http.PostAsync($"/admin/models/{Wide}/load", null);
        Assert.Equal(HttpStatusCode.OK, load.StatusCode);
        Assert.Equal("loading", (await load.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        await Eventually.UntilAsync(() => StateAsync(gateway, Wide), s => s == "ready", "the wide model to load on the admin's command");
        var pid = (await gateway.ReadyStateAsync()).GetProperty("models")[1].GetProperty("pid").GetInt32();

        using var unload = await gateway.Http.PostAsync($"/admin/models/{Wide}/unload", null);

        Assert.Equal(HttpStatusCode.OK, unload.StatusCode);
        Assert.Equal("unloaded", (await unload.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        Assert.False(Posix.IsAlive(pid), "unload answers once the child is gone");
        var metrics = await gateway.Http.GetStringAsync("/metrics");
        Assert.Equal(1, Sample(metrics, "llmgw_model_unloads_total", Wide, "reason=\"admin\""));
        using var unknown = await gateway.Http.PostAsync("/admin/models/no-such-model/load", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task WarmupSystemPrompt_IsInThePromptCache_BeforeTheFirstClientSendsIt()
    {
        const string System = "You are the triage model of an endpoint-security service. Answer with one word: benign, suspicious or malicious.";
        await using var gateway = await GatewayProcess.StartAsync(TwoModels(("Models__0__Preload", "true"), ("Models__0__WarmupSystemPrompt", System)));
        await Eventually.UntilAsync(() => Task.FromResult(gateway.Output), o => o.Contains("warm-up system prompt", StringComparison.Ordinal),
            "the gateway to log the warm-up after the load");
        Assert.Contains(": 200", gateway.Output.Split('\n').First(l => l.Contains("warm-up system prompt", StringComparison.Ordinal)), StringComparison.Ordinal);

        var chat = new ChatClient(Small, new ApiKeyCredential("unused"), OpenAiOptions.NoRetries(gateway));
        ChatCompletion answer = await chat.CompleteChatAsync(
            [new SystemChatMessage(System), new UserChatMessage("powershell -enc ...")], new ChatCompletionOptions { MaxOutputTokenCount = 2 });

        // The first client's prompt found the system prompt already processed: llama-server reused it from its cache.
        Assert.True(answer.Usage.InputTokenDetails?.CachedTokenCount > 0, $"cached prompt tokens: {answer.Usage.InputTokenDetails?.CachedTokenCount}");
    }

    [Fact]
    public async Task PromptCache_SurvivesAnIdleUnload_TheFirstRequestAfterTheReloadFindsItsPrefixCached()
    {
        var system = string.Join(' ', Enumerable.Repeat("You are the analysis model of an endpoint-security service; weigh every signal.", 12));
        await using var gateway = await GatewayProcess.StartAsync(TwoModels(("Models__0__KeepAliveSeconds", "1")));
        var chat = new ChatClient(Small, new ApiKeyCredential("unused"), OpenAiOptions.NoRetries(gateway));
        async Task<ChatTokenUsage> AskWithSystemAsync(string user) =>
            (await chat.CompleteChatAsync([new SystemChatMessage(system), new UserChatMessage(user)], new ChatCompletionOptions { MaxOutputTokenCount = 2 })).Value.Usage;

        var first = await AskWithSystemAsync("Event 1.");
        var pid = (await gateway.ReadyStateAsync()).GetProperty("models")[0].GetProperty("pid").GetInt32();
        await Eventually.UntilAsync(() => StateAsync(gateway, Small), s => s == "unloaded", "the small model to be unloaded after its keep-alive");
        Assert.False(Posix.IsAlive(pid));
        Assert.Contains("prompt cache saved", gateway.Output, StringComparison.Ordinal);

        var afterReload = await AskWithSystemAsync("Event 2.");

        Assert.Contains("prompt cache restored", gateway.Output, StringComparison.Ordinal);
        Assert.True(first.InputTokenCount > 100, $"a long system prompt: {first.InputTokenCount} tokens");
        // The new llama-server did not prefill the system prompt again: its cache came back from the saved slot.
        Assert.True(afterReload.InputTokenDetails?.CachedTokenCount >= first.InputTokenCount / 2,
            $"cached after the reload: {afterReload.InputTokenDetails?.CachedTokenCount} of {afterReload.InputTokenCount}");
    }

    [Fact]
    public async Task PreloadedModel_IsReadyWhenTheGatewayIs()
    {
        await using var gateway = await GatewayProcess.StartAsync(TwoModels(("Models__0__Preload", "true")));

        Assert.Equal("ready", await StateAsync(gateway, Small));
        Assert.Equal("unloaded", await StateAsync(gateway, Wide));
    }

    [Fact]
    public async Task EightClients_InterleavingBothModels_AreAllServedByTheRightOne()
    {
        await using var gateway = await GatewayProcess.StartAsync(TwoModels());

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(async client =>
        {
            List<(string Asked, string? Answered)> seen = [];
            for (var i = 0; i < 3; i++)
            {
                var model = (client + i) % 2 == 0 ? Small : Wide;
                seen.Add((model, (await AskAsync(gateway, model)).Model));
            }

            return seen;
        }));

        Assert.Equal(24, answers.Sum(a => a.Count));
        Assert.All(answers.SelectMany(a => a), a => Assert.Equal(a.Asked, a.Answered));
    }

    [Fact]
    public async Task EachModel_RunsInACgroupOfItsOwn_WithItsWeight_UnderTheGatewaysCap()
    {
        await using var gateway = await GatewayProcess.StartAsync(TwoModels(("Models__1__CpuWeight", "300"), ("Cpu__CapPercent", "95")));
        var plan = await gateway.Http.GetFromJsonAsync<JsonElement>("/admin/cpu/plan");
        if (plan.GetProperty("backend").GetString() != "CgroupV1")
        {
            return; // the machines of this project have cgroup v1 (docs/testing.md); elsewhere CgroupV2BackendTests cover the groups
        }

        await AskAsync(gateway, Small);
        await AskAsync(gateway, Wide);
        var models = (await gateway.ReadyStateAsync()).GetProperty("models");
        var small = CpuGroup(models[0].GetProperty("pid").GetInt32());
        var wide = CpuGroup(models[1].GetProperty("pid").GetInt32());

        Assert.EndsWith($"/llmgw-{gateway.Pid}/0-small", small, StringComparison.Ordinal);
        Assert.EndsWith($"/llmgw-{gateway.Pid}/1-wide", wide, StringComparison.Ordinal);
        var root = Path.Combine("/sys/fs/cgroup/cpu", wide.TrimStart('/'));
        Assert.Equal("3072", File.ReadAllText(Path.Combine(root, "cpu.shares")).Trim());
        Assert.Equal("1024", File.ReadAllText(Path.Combine(Path.GetDirectoryName(root)!, "0-small", "cpu.shares")).Trim());
        // The cap is the gateway's group's, over both.
        Assert.NotEqual("-1", File.ReadAllText(Path.Combine(Path.GetDirectoryName(root)!, "cpu.cfs_quota_us")).Trim());
        var metrics = await gateway.Http.GetStringAsync("/metrics");
        Assert.True(Sample(metrics, "llmgw_model_cpu_seconds_total", Wide) > 0, "the wide model's own CPU time is counted");
    }

    [Fact]
    public async Task MemoryBudgetForOneModel_SwapsThem_UnloadingTheIdleOne_NoRequestDropped()
    {
        // 64 MiB and no reserve: less than either model, so each loads alone and the other is unloaded first.
        await using var gateway = await GatewayProcess.StartAsync(TwoModels(("Memory__BudgetBytes", "67108864"), ("Memory__ReserveBytes", "0")));

        Assert.Equal(Small, (await AskAsync(gateway, Small)).Model);
        var smallPid = (await gateway.ReadyStateAsync()).GetProperty("models")[0].GetProperty("pid").GetInt32();
        Assert.Equal(Wide, (await AskAsync(gateway, Wide)).Model);
        Assert.False(Posix.IsAlive(smallPid), "the idle small model was unloaded before the wide one loaded");
        Assert.Equal("unloaded", await StateAsync(gateway, Small));
        Assert.Equal(Small, (await AskAsync(gateway, Small)).Model);
        Assert.Equal("unloaded", await StateAsync(gateway, Wide));

        var metrics = await gateway.Http.GetStringAsync("/metrics");
        Assert.Equal(1, Sample(metrics, "llmgw_model_unloads_total", Small, "reason=\"evicted\""));
        Assert.Equal(1, Sample(metrics, "llmgw_model_unloads_total", Wide, "reason=\"evicted\""));
    }

    [Fact]
    public async Task MemoryBudgetForOneModel_ABusyModelIsNotUnloaded_TheOtherWaitsForItsRequestToEnd()
    {
        await using var gateway = await GatewayProcess.StartAsync(TwoModels(
            ("Memory__BudgetBytes", "67108864"), ("Memory__ReserveBytes", "0"), ("Models__LoadWaitSeconds", "600")));
        var load = await LlamaLoad.StartAsync(gateway, repeat: false); // one long answer from the first model, small
        var smallPid = (await gateway.ReadyStateAsync()).GetProperty("models")[0].GetProperty("pid").GetInt32();

        var wide = AskAsync(gateway, Wide);
        await Eventually.UntilAsync(() => Task.FromResult(gateway.Output), o => o.Contains("wide (about", StringComparison.Ordinal) && o.Contains("waits for room", StringComparison.Ordinal),
            "the wide model's load to wait for room");
        Assert.True(Posix.IsAlive(smallPid), "the busy small model is still running");
        Assert.Equal("ready", await StateAsync(gateway, Small));
        Assert.False(wide.IsCompleted);

        await load.DisposeAsync(); // the small model's client leaves: it is idle, and may go
        Assert.Equal(Wide, (await wide).Model);
        await Eventually.UntilAsync(() => Task.FromResult(Posix.IsAlive(smallPid)), alive => !alive, "the small model's llama-server to exit");
    }

    [Fact]
    public async Task RequestsForALoadedModel_AreNotHeldUpByAnotherModelsPendingLoad()
    {
        // The small model has two slots; answers one after another keep it busy (and its hold covers the gaps, with no bound
        // here), so the wide model's load waits for its room until the test lets it have it.
        await using var gateway = await GatewayProcess.StartAsync(TwoModels(
            ("Memory__BudgetBytes", "67108864"), ("Memory__ReserveBytes", "0"), ("Models__LoadWaitSeconds", "600"),
            ("Models__SwapMaxWaitSeconds", "3600"), ("Models__0__Parallel", "2")));
        var load = await LlamaLoad.StartAsync(gateway, tokens: 300, repeat: true);
        var wide = AskAsync(gateway, Wide);
        await Eventually.UntilAsync(() => Task.FromResult(gateway.Output), o => o.Contains("wide (about", StringComparison.Ordinal) && o.Contains("waits for room", StringComparison.Ordinal),
            "the wide model's load to wait for room");

        // Meanwhile the loaded model answers at once, the pending load notwithstanding.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(Small, (await AskAsync(gateway, Small)).Model);
        }

        Assert.False(wide.IsCompleted, "the wide model's request still waits: the small model is still busy with the long answer");
        await load.DisposeAsync();
        Assert.Equal(Wide, (await wide).Model);
    }

    [Fact]
    public async Task MemoryBudgetForOneModel_InterleavedClients_AreServedInGroups_NotOneSwapPerRequest()
    {
        await using var gateway = await GatewayProcess.StartAsync(TwoModels(
            ("Memory__BudgetBytes", "67108864"), ("Memory__ReserveBytes", "0"), ("Models__LoadWaitSeconds", "600"),
            ("Models__SwapHoldSeconds", "2"), ("Models__SwapMaxWaitSeconds", "4")));

        // Two clients, one per model, each asking six times in a row: without grouping, each request could cost a swap.
        var answers = await Task.WhenAll(new[] { Small, Wide }.Select(async model =>
        {
            List<string?> seen = [];
            for (var i = 0; i < 6; i++)
            {
                seen.Add((await AskAsync(gateway, model)).Model);
            }

            return (model, seen);
        }));

        Assert.All(answers, a => Assert.All(a.seen, m => Assert.Equal(a.model, m)));
        var metrics = await gateway.Http.GetStringAsync("/metrics");
        var loads = Sample(metrics, "llmgw_model_loads_total", Small) + Sample(metrics, "llmgw_model_loads_total", Wide);
        Assert.True(loads <= 6, $"{loads} loads for 12 requests: the requests were not grouped");
    }

    [Fact]
    public async Task TwoModelsAnsweringToOneName_StopStartUp_NamingBoth()
    {
        var settings = TwoModels(("Models__1__Aliases__0", Small));

        var (exitCode, output) = await GatewayProcess.RunExpectingFailureAsync(settings);

        Assert.Equal(2, exitCode);
        Assert.Contains("llmgateway: cannot start: Two models answer to 'small': Models:0", output, StringComparison.Ordinal);
        Assert.Contains("and Models:1", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadModelSetting_StopsStartUp_NamingIt()
    {
        var (exitCode, output) = await GatewayProcess.RunExpectingFailureAsync(TwoModels(("Models__1__KeepAliveSeconds", "-1")));

        Assert.Equal(2, exitCode);
        Assert.Contains("Models:1:KeepAliveSeconds must be 0 (keep loaded) to 31536000 seconds, not -1.", output, StringComparison.Ordinal);
    }

    private static object Body(string model) => new
    {
        model,
        messages = new[] { new { role = "user", content = "Hi." } },
        max_tokens = 2,
    };

    private static async Task<ChatCompletion> AskAsync(GatewayProcess gateway, string model)
    {
        var chat = new ChatClient(model, new ApiKeyCredential("unused"), OpenAiOptions.NoRetries(gateway));
        return await chat.CompleteChatAsync([new UserChatMessage("Hi.")], new ChatCompletionOptions { MaxOutputTokenCount = 2 });
    }

    private static async Task<Dictionary<string, JsonElement>> ModelsAsync(GatewayProcess gateway)
    {
        var list = await gateway.Http.GetFromJsonAsync<JsonElement>("/v1/models");
        return list.GetProperty("data").EnumerateArray().ToDictionary(m => m.GetProperty("id").GetString()!, m => m.Clone());
    }

    private static async Task<string?> StateAsync(GatewayProcess gateway, string id) =>
        (await gateway.Http.GetFromJsonAsync<JsonElement>($"/v1/models/{id}")).GetProperty("state").GetString();

    /// <summary>One sample of <paramref name="name"/> whose labels include model="id" (and <paramref name="label"/>); 0 when absent.</summary>
    private static double Sample(string metrics, string name, string model, string? label = null) =>
        metrics.Split('\n')
            .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) && l.Contains($"model=\"{model}\"", StringComparison.Ordinal)
                && (label is null || l.Contains(label, StringComparison.Ordinal)))
            .Select(l => double.Parse(l[(l.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture))
            .DefaultIfEmpty(0)
            .Sum();

    /// <summary>The process's group in the cpu controller's hierarchy (cgroup v1), from /proc/PID/cgroup.</summary>
    private static string CpuGroup(int pid) =>
        File.ReadAllLines($"/proc/{pid}/cgroup").Select(l => l.Split(':', 3)).First(f => f[1].Split(',').Contains("cpu"))[2];

    private static long ResidentBytes(int pid) =>
        long.Parse(File.ReadAllText($"/proc/{pid}/statm").Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) * Environment.SystemPageSize;
}
