using StrategyLab.Runtime.Evaluation;

namespace StrategyLab.Runtime.Tests.Evaluation;

public sealed class BlockPipelineTests
{
    // a producer of 25 blocks of 7 bars over two inputs: input k of bar b holds 10 b + k
    private static BlockPipeline.Producer Blocks(int count, Action<int>? onBlock = null)
    {
        var next = 0;
        return buffers =>
        {
            if (next == count)
                return (next * 7, 0);
            onBlock?.Invoke(next);
            for (var k = 0; k < buffers.Length; k++)
            {
                for (var i = 0; i < 7; i++)
                    buffers[k][i] = (10 * ((next * 7) + i)) + k;
            }
            return (7 * next++, 7);
        };
    }

    [Fact]
    public void HandsTheBlocksOverInOrderWithTheirValues()
    {
        var seen = new List<double>();
        var starts = new List<int>();
        BlockPipeline.Run(2, 7, Blocks(25), (start, rows, buffers) =>
        {
            starts.Add(start);
            for (var i = 0; i < rows; i++)
                seen.AddRange([buffers[0][i], buffers[1][i]]);
        });
        Assert.Equal(Enumerable.Range(0, 25).Select(b => 7 * b), starts);
        Assert.Equal(Enumerable.Range(0, 175).SelectMany(b => new[] { 10.0 * b, (10.0 * b) + 1 }), seen);
    }

    [Fact]
    public void AProducerErrorReachesTheCallerAfterTheBlocksBeforeIt()
    {
        var consumed = 0;
        var e = Assert.Throws<InvalidDataException>(() => BlockPipeline.Run(2, 7, Blocks(25, b =>
        {
            if (b == 3)
                throw new InvalidDataException("bar 21 is broken");
        }), (_, _, _) => consumed++));
        Assert.Equal("bar 21 is broken", e.Message);
        Assert.Equal(3, consumed);
    }

    [Fact]
    public void AConsumerErrorStopsTheProducer()
    {
        var produced = 0;
        var e = Assert.Throws<InvalidOperationException>(() => BlockPipeline.Run(2, 7, Blocks(1000, _ => produced++), (start, _, _) =>
        {
            if (start == 14)
                throw new InvalidOperationException("the ledger refused bar 14");
        }));
        Assert.Equal("the ledger refused bar 14", e.Message);
        // two buffer sets: the producer can be at most two blocks ahead of the failed one
        Assert.InRange(produced, 3, 5);
    }
}
