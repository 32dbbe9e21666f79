using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace LlmGateway.Tests;

/// <summary>Proxy:IdleTimeoutSeconds cuts a request on which llama-server makes no progress, and only such a request.</summary>
[Collection(MachineAlone.Name)]
public sealed class SupervisionIdleTimeoutTests
{
    [Fact]
    public async Task NonStreaming_LongerThanTheIdleTimeout_IsNotCut_WhileLlamaServerWorks()
    {
        var settings = GatewayProcess.DefaultSettings();
        // Short, but not so short that a loaded host's scheduling delays are a hang: with two CPU hogs beside the whole
        // suite, a 1 s window without a progress sample was seen once.
        settings["Proxy__IdleTimeoutSeconds"] = "3";
        settings["LlamaServer__ContextSize"] = "4096"; // the tiny model's training context: llama-server caps at it
        // One compute thread: two on two cores beside a CPU hog spin at ggml's barrier whenever one is preempted, and
        // decode 100x slower (seen: 2,453 tokens in 9 minutes), which would test the host, not the timeout.
        (settings["Cpu__Threads"], settings["Cpu__ThreadsBatch"]) = ("1", "1");
        await using var gateway = await GatewayProcess.StartAsync(settings);

        // A non-streamed answer says nothing until it is complete: 2,000 tokens take seconds on any machine this
        // runs on, all of it silence, and all of it work. On a loaded host it takes much longer: the client waits
        // as long as it must (the gateway's 60 s default client timeout would be an assertion on speed).
        using var patient = new HttpClient { BaseAddress = gateway.BaseUri, Timeout = Eventually.Ceiling * 5 };
        using var response = await patient.PostAsJsonAsync("/v1/chat/completions", new
        {
            messages = new[] { new { role = "user", content = "Count." } },
            max_tokens = 2000,
            ignore_eos = true,
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2000, answer.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        // The precondition that makes this test mean something, in llama-server's own measure.
        Assert.True(answer.GetProperty("timings").GetProperty("predicted_ms").GetDouble() > 3000, "The generation was quicker than the idle timeout.");
    }

    [Fact]
    public async Task NonStreaming_LlamaServerStopped_Gets504_AndGenerationStopsOnceItResumes()
    {
        var settings = GatewayProcess.DefaultSettings();
        settings["Proxy__IdleTimeoutSeconds"] = "1";
        await using var gateway = await GatewayProcess.StartAsync(settings);
        var pid = await gateway.ChildPidAsync();

        var request = gateway.Http.PostAsJsonAsync("/v1/chat/completions", new
        {
            messages = new[] { new { role = "user", content = "Count." } },
            max_tokens = 1900, // a slot's context is 2,048 tokens: more is a 400
            ignore_eos = true,
        });
        await Eventually.UntilAsync(gateway.BusySlotsAsync, busy => busy == 1, "llama-server to take the request");
        Assert.Equal(0, Posix.Kill(pid, Posix.SigStop)); // a hang: no bytes, and no CPU time
        HttpResponseMessage response;
        try
        {
            response = await request;
        }
        finally
        {
            Posix.Kill(pid, Posix.SigCont);
        }

        using (response)
        {
            Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
            var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
            Assert.Equal("server_error", error.GetProperty("type").GetString());
            Assert.Equal("upstream_timeout", error.GetProperty("code").GetString());
            Assert.Contains("no progress for 1 s (Proxy:IdleTimeoutSeconds)", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        // The gateway closed its connection, so llama-server, resumed, cancels the generation.
        await Eventually.UntilAsync(gateway.BusySlotsAsync, busy => busy == 0, "llama-server to stop generating for the client that got the 504");
    }
}
