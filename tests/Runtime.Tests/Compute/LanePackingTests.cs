using StrategyLab.Runtime.Compute;

namespace StrategyLab.Runtime.Tests.Compute;

public sealed class LanePackingTests
{
    [Fact]
    public void AppendsTheSetLanesInOrderForEveryMask()
    {
        for (var mask = 0u; mask < 16; mask++)
        {
            // a list already holding two entries, with room for a whole vector after them
            var list = new[] { -1, -1, -7, -7, -7, -7 };
            var count = LanePacking.Append(mask | 0xF0, 8, ref list[0], 2);

            var expected = Enumerable.Range(0, 4).Where(lane => (mask >> lane & 1) != 0).Select(lane => 8 + lane).ToArray();
            Assert.Equal(2 + expected.Length, count);
            Assert.Equal([-1, -1, .. expected], list[..count]);
        }
    }
}
