using LlmGateway.Cpu;

namespace LlmGateway.Tests.Units;

/// <summary>The sampler's numbered log: a reader asking for what came after the last sample it saw gets each sample once, in order.</summary>
public sealed class SampleLogTests
{
    [Fact]
    public void Samples_after_a_number_come_once_in_order_and_next_says_where_to_go_on()
    {
        var log = new SampleLog(10);
        Add(log, 3);

        var (first, dropped) = log.After(-1);
        Assert.Equal([0L, 1, 2], first.Select(s => s.Sequence));
        Assert.Equal(0, dropped);
        Assert.Equal(3, log.Next);

        Add(log, 2);
        Assert.Equal([3L, 4], log.After(first[^1].Sequence).Samples.Select(s => s.Sequence));
        Assert.Empty(log.After(4).Samples);
    }

    [Fact]
    public void A_reader_that_fell_behind_gets_what_is_kept_and_how_many_it_missed()
    {
        var log = new SampleLog(4);
        Add(log, 10); // 0..9; 6..9 kept

        var (samples, dropped) = log.After(1); // asks from 2: 2..5 are gone
        Assert.Equal([6L, 7, 8, 9], samples.Select(s => s.Sequence));
        Assert.Equal(4, dropped);
    }

    [Fact]
    public void Newest_gives_the_last_samples_oldest_first_and_no_more_than_were_taken()
    {
        var log = new SampleLog(5);
        Assert.Empty(log.Newest(3));
        Add(log, 7);

        Assert.Equal([4L, 5, 6], log.Newest(3).Select(s => s.Sequence));
        Assert.Equal([2L, 3, 4, 5, 6], log.Newest(100).Select(s => s.Sequence));
        Assert.Equal(6, log.Newest(1).Single().ChildPercent); // each sample keeps what it was given
    }

    private static void Add(SampleLog log, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var n = log.Next;
            log.Add(n, gatewayPercent: 0.1, systemPercent: 50, childRssBytes: 1, gatewayRssBytes: 2, busy: n % 2 == 0);
        }
    }
}
