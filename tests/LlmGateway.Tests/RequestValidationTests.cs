using System.Text.Json;
using LlmGateway.Proxy;
using LlmGateway.Proxy.Validation;

namespace LlmGateway.Tests;

/// <summary>The request shapes alone, in-process: each field of the OpenAI reference refused with its JSON path and a code.</summary>
public sealed class RequestValidationTests
{
    private const string Hi = """[{"role":"user","content":"hi"}]""";

    [Theory]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"temperature":2.01}""", "temperature", "invalid_value")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"temperature":"hot"}""", "temperature", "invalid_type")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"top_p":-0.1}""", "top_p", "invalid_value")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"top_p":1e400}""", "top_p", "invalid_value")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"n":0}""", "n", "invalid_value")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"n":3}""", "n", "unsupported_value")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"max_tokens":1.5}""", "max_tokens", "invalid_type")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"max_tokens":2147483648}""", "max_tokens", "invalid_value")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"max_completion_tokens":0}""", "max_completion_tokens", "invalid_value")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"presence_penalty":-2.5}""", "presence_penalty", "invalid_value")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"frequency_penalty":3}""", "frequency_penalty", "invalid_value")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"logit_bias":{"abc":1}}""", "logit_bias", "invalid_value")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"logit_bias":{"15":101}}""", "logit_bias.15", "invalid_value")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"logit_bias":[1]}""", "logit_bias", "invalid_type")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"stop":["a","b","c","d","e"]}""", "stop", "invalid_value")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"stop":["a",1]}""", "stop[1]", "invalid_type")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"stop":5}""", "stop", "invalid_type")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"},{"role":"robot","content":"x"}]}""", "messages[1].role", "invalid_value")]
    [InlineData("""{"messages":[{"role":"user"}]}""", "messages[0].content", "missing_required_parameter")]
    [InlineData("""{"messages":[{"role":"user","content":5}]}""", "messages[0].content", "invalid_type")]
    [InlineData("""{"messages":[{"role":"user","content":[]}]}""", "messages[0].content", "invalid_value")]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"video","text":"x"}]}]}""", "messages[0].content[0].type", "invalid_value")]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"text"}]}]}""", "messages[0].content[0].text", "missing_required_parameter")]
    [InlineData("""{"messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}""", "messages[0].content[0].type", "invalid_value")]
    [InlineData("""{"messages":[{"role":"assistant"}]}""", "messages[0].content", "missing_required_parameter")]
    [InlineData("""{"messages":[{"role":"tool","content":"x"}]}""", "messages[0].tool_call_id", "missing_required_parameter")]
    [InlineData("""{"messages":[{"role":"assistant","tool_calls":[{"id":"1","type":"function","function":{"name":"f"}}]}]}""", "messages[0].tool_calls[0].function.arguments", "missing_required_parameter")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"tools":[{"type":"function","function":{"name":"no spaces"}}]}""", "tools[0].function.name", "invalid_value")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"tools":[{"type":"retrieval","function":{"name":"f"}}]}""", "tools[0].type", "invalid_value")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"tool_choice":"auto"}""", "tool_choice", "invalid_value")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"sometimes"}""", "tool_choice", "invalid_value")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"response_format":{"type":"xml"}}""", "response_format.type", "invalid_value")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"response_format":{"type":"json_schema","json_schema":{"name":"x"}}}""", "response_format.json_schema.schema", "missing_required_parameter")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"seed":"1"}""", "seed", "invalid_type")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"logprobs":1}""", "logprobs", "invalid_type")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"top_logprobs":3}""", "top_logprobs", "invalid_value")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"logprobs":true,"top_logprobs":21}""", "top_logprobs", "invalid_value")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"stream_options":{"include_usage":true}}""", "stream_options", "invalid_value")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"stream":true,"stream_options":true}""", "stream_options", "invalid_type")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"user":1}""", "user", "invalid_type")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"model":"\ud800"}""", "model", "invalid_value")]
    public void Chat_FieldOutsideTheReference_IsRefusedWithItsPath(string body, string param, string code) =>
        AssertRefused(OpenAiOperation.ChatCompletions, body, param, code);

    [Theory]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"temperature":0,"top_p":1,"n":1,"max_tokens":4,"presence_penalty":-2,"frequency_penalty":2,"logit_bias":{"0":-100,"15":100},"stop":"x","seed":-5,"stream":true,"stream_options":{"include_usage":true},"user":"u","logprobs":true,"top_logprobs":20}""")]
    [InlineData("""{"messages":[{"role":"developer","content":[{"type":"text","text":"be brief"}]},{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"data:,","detail":"low"}}]},{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"1"}],"tools":[{"type":"function","function":{"name":"f-1_x","parameters":{"type":"object"}}}],"tool_choice":{"type":"function","function":{"name":"f-1_x"}}}""")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"response_format":{"type":"json_schema","json_schema":{"name":"answer","schema":{"type":"object"},"strict":true}}}""")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"top_k":5,"min_p":0.1,"repeat_penalty":1.1,"grammar":"root ::= \"a\"","cache_prompt":false,"n_probs":2,"ignore_eos":true,"samplers":["top_k"],"json_schema":{}}""")]
    [InlineData($$$$"""{"messages":{{{{Hi}}}},"temperature":null,"stop":null,"tools":null}""")]
    public void Chat_RequestWithinTheReference_Passes(string body) => AssertPasses(OpenAiOperation.ChatCompletions, body);

    [Theory]
    [InlineData("""{"max_tokens":1}""", "prompt", "missing_required_parameter")]
    [InlineData("""{"prompt":[]}""", "prompt", "invalid_value")]
    [InlineData("""{"prompt":[1,-2]}""", "prompt[1]", "invalid_value")]
    [InlineData("""{"prompt":[[1],[]]}""", "prompt[1]", "invalid_value")]
    [InlineData("""{"prompt":{"text":"x"}}""", "prompt", "invalid_type")]
    [InlineData("""{"prompt":[true]}""", "prompt", "invalid_type")]
    [InlineData("""{"prompt":"x","logprobs":6}""", "logprobs", "invalid_value")]
    [InlineData("""{"prompt":"x","echo":true}""", "echo", "unsupported_value")]
    [InlineData("""{"prompt":"x","best_of":1}""", "best_of", "unsupported_value")]
    [InlineData("""{"prompt":"x","suffix":"y"}""", "suffix", "unsupported_value")]
    [InlineData("""{"prompt":"x","max_tokens":-1}""", "max_tokens", "invalid_value")]
    public void Completions_FieldOutsideTheReference_IsRefusedWithItsPath(string body, string param, string code) =>
        AssertRefused(OpenAiOperation.Completions, body, param, code);

    [Theory]
    [InlineData("""{"prompt":"x","max_tokens":2,"logprobs":5,"echo":false,"ignore_eos":true}""")]
    [InlineData("""{"prompt":["a","b"]}""")]
    [InlineData("""{"prompt":[1,2,3]}""")]
    [InlineData("""{"prompt":[[1],[2,3]]}""")]
    public void Completions_RequestWithinTheReference_Passes(string body) => AssertPasses(OpenAiOperation.Completions, body);

    [Theory]
    [InlineData("""{}""", "input", "missing_required_parameter")]
    [InlineData("""{"input":""}""", "input", "invalid_value")]
    [InlineData("""{"input":[]}""", "input", "invalid_value")]
    [InlineData("""{"input":["a",""]}""", "input[1]", "invalid_value")]
    [InlineData("""{"input":[["a"]]}""", "input", "invalid_type")]
    [InlineData("""{"input":"a","encoding_format":"int8"}""", "encoding_format", "invalid_value")]
    [InlineData("""{"input":"a","dimensions":0}""", "dimensions", "invalid_value")]
    [InlineData("""{"input":"a","user":[]}""", "user", "invalid_type")]
    public void Embeddings_FieldOutsideTheReference_IsRefusedWithItsPath(string body, string param, string code) =>
        AssertRefused(OpenAiOperation.Embeddings, body, param, code);

    [Theory]
    [InlineData("""{"input":"a","encoding_format":"base64","dimensions":8}""")]
    [InlineData("""{"input":["a","b"]}""")]
    [InlineData("""{"input":[1,2]}""")]
    [InlineData("""{"input":[[1],[2]]}""")]
    public void Embeddings_RequestWithinTheReference_Passes(string body) => AssertPasses(OpenAiOperation.Embeddings, body);

    [Theory]
    [InlineData(500, """[json.exception.type_error.302] type must be string, but is number""", 400)]
    [InlineData(500, "Unsupported param: best_of", 400)]
    [InlineData(500, "Failed to tokenize prompt", 400)]
    [InlineData(500, "[json.exception.parse_error.101] parse error at line 1", 400)]
    [InlineData(501, "This server does not support embeddings. Start it with `--embeddings`", 400)]
    [InlineData(500, "Internal Server Error", 500)]
    [InlineData(500, "failed to decode the batch", 500)]
    [InlineData(503, "Loading model", 503)]
    [InlineData(400, "the request exceeds the available context size", 400)]
    public void UpstreamRefusalOfInput_IsA400_AndItsOwnFaultsStay5xx(int upstream, string message, int answered) =>
        Assert.Equal(answered, UpstreamError.Classify(upstream, message).Status);

    private static void AssertRefused(OpenAiOperation operation, string body, string param, string code)
    {
        using var document = JsonDocument.Parse(body);
        var problem = RequestShapes.For(operation).Check(document.RootElement, "");
        Assert.NotNull(problem);
        Assert.Equal((param, code), (problem.Param, problem.Code));
        Assert.Contains($"'{param}'", problem.Message, StringComparison.Ordinal);
    }

    private static void AssertPasses(OpenAiOperation operation, string body)
    {
        using var document = JsonDocument.Parse(body);
        Assert.Null(RequestShapes.For(operation).Check(document.RootElement, ""));
    }
}
