using System.Text;
using StrategyLab.Runtime.Data.Cache;

namespace StrategyLab.Runtime.Tests.Data;

// expected values from `xxhsum -H64` (Debian package xxhash 0.8.1)
public sealed class XxHash64Tests
{
    [Theory]
    [InlineData("", "ef46db3751d8e999")]
    [InlineData("a", "d24ec4f1a98c6e5b")]
    [InlineData("abc", "44bc2cf5ad770999")]
    [InlineData("abcdefgh", "3ad351775b4634b7")]
    [InlineData("abcdefghijkl", "4b09b7d3a233d4b3")]
    public void MatchesTheReferenceImplementation(string text, string expected) =>
        Assert.Equal(expected, XxHash64.HashHex(Encoding.ASCII.GetBytes(text)));

    [Fact]
    public void MatchesTheReferenceOnInputsLongerThanOneStripe()
    {
        var text = new string(Enumerable.Range(0, 100).Select(i => (char)('a' + i % 26)).ToArray());
        Assert.Equal("79c9fa152bb53c71", XxHash64.HashHex(Encoding.ASCII.GetBytes(text)));
    }
}
