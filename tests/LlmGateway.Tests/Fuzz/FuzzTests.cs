using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Xunit.Abstractions;

namespace LlmGateway.Tests.Fuzz;

/// <summary>
/// Bad input at scale: requests derived from the gateway's own OpenAPI document, mutated, sent to the real gateway in
/// front of a real llama-server, over HttpClient, raw sockets and the official SDK.
/// </summary>
/// <remarks>
/// LLMGW_FUZZ_REQUESTS sets the count (1000 by default; bench/fuzz.sh runs 10000), LLMGW_FUZZ_SEED replays a failure
/// (CsCheck prints the seed of the smallest failing request it found), LLMGW_FUZZ_REPORT names a file for the result table,
/// LLMGW_FUZZ_PROGRESS one for a line every 500 requests, LLMGW_FUZZ_CONCURRENCY the requests in flight (6).
/// </remarks>
[Collection(MachineAlone.Name)]
public sealed class FuzzTests(ITestOutputHelper output)
{
    private static readonly string[] Paths = ["/v1/chat/completions", "/v1/completions", "/v1/embeddings"];

    [Fact]
    public async Task BadInput_IsRefusedAs4xx_OpenAiShaped_WithoutCrashOrGrowth()
    {
        var count = Setting("LLMGW_FUZZ_REQUESTS", 1000);
        var threads = Setting("LLMGW_FUZZ_CONCURRENCY", 6);
        var seed = Environment.GetEnvironmentVariable("LLMGW_FUZZ_SEED") is { Length: > 0 } s ? s : null;
        var settings = GatewayProcess.DefaultSettings();
        settings["LlamaServer__Embeddings"] = "true";
        settings["LlamaServer__ExtraArguments__0"] = "--pooling";
        settings["LlamaServer__ExtraArguments__1"] = "mean";
        // llama-server's own cap on every generation: a mutation may drop max_tokens, or make it a valid million.
        settings["LlamaServer__ExtraArguments__2"] = "--n-predict";
        settings["LlamaServer__ExtraArguments__3"] = "4";
        settings["LlamaServer__Parallel"] = "2";
        settings["Proxy__QueueLength"] = "256";
        settings["Proxy__MaxRequestBodyBytes"] = "262144";
        await using var gateway = await GatewayProcess.StartAsync(settings);
        var model = await gateway.ModelIdAsync();
        var child = await gateway.ChildPidAsync();
        var document = await gateway.Http.GetFromJsonAsync<JsonElement>("/swagger/v1/swagger.json");
        var cases = Cases(new SchemaGen(document, model));
        using var client = new FuzzClient(gateway, model);
        var tally = new ConcurrentDictionary<string, int>();
        var progress = Environment.GetEnvironmentVariable("LLMGW_FUZZ_PROGRESS");
        var sent = 0;
        var clock = Stopwatch.StartNew();

        async Task Check(FuzzCase c)
        {
            // Generous: on a loaded machine a request may queue behind two slots' prompts.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(180));
            FuzzAnswer answer;
            try
            {
                answer = await client.SendAsync(c, timeout.Token);
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException or System.Net.Sockets.SocketException)
            {
                answer = new FuzzAnswer(0, e.Message);
            }

            tally.AddOrUpdate($"{answer.Status}", 1, (_, n) => n + 1);
            tally.AddOrUpdate($"{c.Path} {answer.Status / 100}xx", 1, (_, n) => n + 1);
            tally.AddOrUpdate($"mutation {c.Mutation.Kind} {answer.Status / 100}xx", 1, (_, n) => n + 1);
            if (c.Mutation == Mutation.None && c.Typed is null && c.Transport is Transport.Http or Transport.Sdk && answer.Status is >= 400 and < 500)
            {
                tally.AddOrUpdate($"refused {Reason(answer.Body)}", 1, (_, n) => n + 1);
            }
            if (Interlocked.Increment(ref sent) % 500 == 0 && progress is { Length: > 0 })
            {
                lock (tally)
                {
                    File.AppendAllText(progress, $"{sent} requests in {clock.Elapsed.TotalSeconds:0} s; gateway RSS {Rss(gateway.Pid) / 1024} MiB\n");
                }
            }

            Verify(c, answer, gateway);
        }

        var warmup = Math.Clamp(count / 10, 50, 500);
        await cases.SampleAsync(Check, output.WriteLine, seed, iter: warmup, threads: threads, print: c => c.ToString());
        var rssBefore = Rss(gateway.Pid);
        await cases.SampleAsync(Check, output.WriteLine, seed, iter: count - warmup, threads: threads, print: c => c.ToString());
        var elapsed = clock.Elapsed;
        var rssAfter = Rss(gateway.Pid);

        // Still standing: alive, healthy, answering a valid request, with the same llama-server (no crash, no restart).
        Assert.False(gateway.HasExited, $"The gateway exited:\n{gateway.Output}");
        using (var health = await gateway.Http.GetAsync("/health"))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        using (var valid = await gateway.Http.PostAsJsonAsync("/v1/chat/completions", new { messages = new[] { new { role = "user", content = "hi" } }, max_tokens = 2 }))
        {
            Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        }

        Assert.Equal(child, await gateway.ChildPidAsync());

        var report = Report(count, threads, elapsed, rssBefore, rssAfter, tally);
        output.WriteLine(report);
        if (Environment.GetEnvironmentVariable("LLMGW_FUZZ_REPORT") is { Length: > 0 } path)
        {
            await File.WriteAllTextAsync(path, report);
        }

        Assert.True(rssAfter <= rssBefore * 1.2, $"The gateway's RSS grew from {rssBefore / 1024} MiB after the warm-up to {rssAfter / 1024} MiB.");
    }

    /// <summary>Every request, of each endpoint: valid (a third) or mutated, over one of the transports.</summary>
    private static Gen<FuzzCase> Cases(SchemaGen schema)
    {
        var raw = Paths.Select(path => schema.Body(path).SelectMany(valid =>
        {
            Repair(path, valid);
            var locations = Mutation.Locations(valid).Count;
            return Gen.Select(Mutation.For(locations), Transports(path), (mutation, transport) =>
                new FuzzCase(path, mutation, mutation.Apply((JsonObject)valid.DeepClone()), transport.Transport, transport.Variant, transport.Delta));
        })).ToList();
        var sampling = Gen.Select(Gen.Float[-0.5f, 2.5f], Gen.Float[-0.2f, 1.2f], Gen.Int[-1, 4], Gen.Float[-2.5f, 2.5f], Gen.Float[-2.5f, 2.5f]);
        var output = Gen.Select(Gen.Int[0, 6], Gen.Bool, Gen.Int[-2, 22], Gen.Bool, Gen.OneOf("hi", "", "Ünïcödé 🙂", "\u0000"));
        var typed = Gen.Select(sampling, output, (a, b) => new FuzzCase(Paths[0], Mutation.None, [], Transport.Sdk, Typed: new TypedCall(
            MathF.Round(a.Item1, 2), MathF.Round(a.Item2, 2), a.Item3, MathF.Round(a.Item4, 2), MathF.Round(a.Item5, 2),
            b.Item1, b.Item2, b.Item3 < 0 ? null : b.Item3, b.Item4, b.Item5)));
        return Gen.Frequency((5, raw[0]), (3, raw[1]), (2, raw[2]), (1, typed));
    }

    private static Gen<(Transport Transport, string Variant, int Delta)> Transports(string path) => Gen.Frequency(
        (32, Gen.Const((Transport.Http, "", 0))),
        (path == "/v1/completions" ? 0 : 16, Gen.Const((Transport.Sdk, "", 0))),
        (4, Gen.Const((Transport.Chunked, "", 0))),
        (4, Gen.OneOf("", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-16", "multipart/form-data; boundary=x", "*/*", "application/json; charset=\"x-unknown\"")
            .Select(v => (Transport.OddContentType, v, 0))),
        (4, Gen.OneOf("Content-Encoding: gzip", "Expect: 100-continue", "Accept: text/event-stream", "Accept-Charset: latin1", "X-Fuzz: " + new string('x', 8000), "Content-Language: zz")
            .Select(v => (Transport.OddHeaders, v, 0))),
        (4, Gen.Int[1, 64].Select(d => (Transport.ShortContentLength, "", d))),
        // Rare: each waits for Kestrel's minimum request body data rate to give up on it (about 5 s).
        (1, Gen.Int[1, 64].Select(d => (Transport.LongContentLength, "", d))),
        (4, Gen.OneOf(
                "Content-Type: application/json\r\nContent-Length: abc",
                "Content-Type: application/json\r\nContent-Length: -5",
                "Content-Type: application/json\r\nContent-Length: {length}\r\nContent-Length: 3",
                "Content-Type: application/json\r\nTransfer-Encoding: chunked",
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: {length}",
                "Content-Type: application/json\r\nTransfer-Encoding: gzip")
            .Select(v => (Transport.BadFraming, v, 0))));

    /// <summary>Makes a schema-valid body also satisfy the rules between fields, so that most valid bodies reach llama-server.</summary>
    private static void Repair(string path, JsonObject body)
    {
        if (body.ContainsKey("stream_options") && body["stream"]?.GetValueKind() != JsonValueKind.True)
        {
            body.Remove("stream_options");
        }

        if (body.ContainsKey("top_logprobs"))
        {
            body["logprobs"] = true;
        }

        if (body.ContainsKey("tool_choice") && body["tools"] is not JsonArray { Count: > 0 })
        {
            body.Remove("tool_choice");
        }

        if (path == "/v1/completions")
        {
            body.Remove("best_of");
            body.Remove("suffix");
            body.Remove("echo");
        }
    }

    /// <summary>The properties every answer has: no 5xx, an answer at all, and an OpenAI-shaped error from the gateway.</summary>
    private static void Verify(FuzzCase c, FuzzAnswer answer, GatewayProcess gateway)
    {
        if (gateway.HasExited)
        {
            throw new FuzzFailure($"The gateway exited with {gateway.ExitCode}.");
        }

        if (answer.Status >= 500)
        {
            throw new FuzzFailure($"Answered {answer.Status}: {answer.Body}");
        }

        if (answer.Status == 0 && c.ReachesTheGateway)
        {
            throw new FuzzFailure($"No answer: {answer.Body}\nThe gateway's last lines:\n{string.Join('\n', gateway.Output.Split('\n').TakeLast(30))}");
        }

        if (answer.Status >= 400 && c.ReachesTheGateway)
        {
            try
            {
                ApiErrorShape.Check(answer.Body);
            }
            catch (Exception e)
            {
                throw new FuzzFailure($"Answered {answer.Status} with an error that is not OpenAI-shaped ({e.Message.Split('\n')[0]}): {answer.Body}");
            }
        }
    }

    private static string Report(int count, int threads, TimeSpan elapsed, long rssBefore, long rssAfter, ConcurrentDictionary<string, int> tally)
    {
        var text = new StringBuilder();
        var total = tally.Where(t => int.TryParse(t.Key, out _)).Sum(t => t.Value);
        text.AppendLine(CultureInfo.InvariantCulture, $"{total} requests ({count} generated; CsCheck's shrinking adds any more) with {threads} concurrent, in {elapsed.TotalSeconds:0.0} s ({total / elapsed.TotalSeconds:0} per s).");
        text.AppendLine(CultureInfo.InvariantCulture, $"Gateway RSS after the warm-up {rssBefore / 1024.0:0.0} MiB, at the end {rssAfter / 1024.0:0.0} MiB ({(double)rssAfter / rssBefore:0.00}x).");
        text.AppendLine();
        text.AppendLine("| Status | Requests |");
        text.AppendLine("|---|---:|");
        foreach (var (status, n) in tally.Where(t => int.TryParse(t.Key, out _)).OrderBy(t => int.Parse(t.Key, CultureInfo.InvariantCulture)))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {(status == "0" ? "no answer (Kestrel closed a malformed request)" : status)} | {n} |");
        }

        text.AppendLine();
        text.AppendLine("| Valid by the schema, refused by a rule between fields or by llama-server | Requests |");
        text.AppendLine("|---|---:|");
        foreach (var (reason, n) in tally.Where(t => t.Key.StartsWith("refused ", StringComparison.Ordinal)).OrderByDescending(t => t.Value))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {reason["refused ".Length..]} | {n} |");
        }

        foreach (var prefix in new[] { "/v1/", "mutation " })
        {
            var rows = tally.Where(t => t.Key.StartsWith(prefix, StringComparison.Ordinal))
                .GroupBy(t => t.Key[..t.Key.LastIndexOf(' ')])
                .OrderBy(g => g.Key, StringComparer.Ordinal);
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"| {(prefix == "/v1/" ? "Endpoint" : "Mutation")} | 2xx | 4xx | 5xx | no answer |");
            text.AppendLine("|---|---:|---:|---:|---:|");
            foreach (var g in rows)
            {
                int Of(string c) => g.Where(t => t.Key.EndsWith(" " + c, StringComparison.Ordinal)).Sum(t => t.Value);
                text.AppendLine(CultureInfo.InvariantCulture, $"| {g.Key.Replace("mutation ", "", StringComparison.Ordinal)} | {Of("2xx")} | {Of("4xx")} | {Of("5xx")} | {Of("0xx")} |");
            }
        }

        return text.ToString();
    }

    /// <summary>An error's param and code, or the start of its message when it names neither.</summary>
    private static string Reason(string body)
    {
        try
        {
            var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
            var code = error.GetProperty("code").GetString();
            var param = error.GetProperty("param").GetString();
            var message = error.GetProperty("message").GetString() ?? "";
            return code is "invalid_request" or null || param is null
                ? $"{code}: {message[..Math.Min(60, message.Length)].Replace('|', '/')}"
                : $"{param}: {code}";
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return "unparsed";
        }
    }

    /// <summary>The resident set of a process, in KiB.</summary>
    private static long Rss(int pid) =>
        long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), CultureInfo.InvariantCulture, out var n) && n > 0 ? n : fallback;

    private sealed class FuzzFailure(string message) : Exception(message);
}
