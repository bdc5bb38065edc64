using System.Text;
using StrategyLab.Runtime.Data.Csv;

namespace StrategyLab.Runtime.Tests.Data;

// expected values from Python: int(datetime(..., tzinfo=timezone.utc).timestamp() * 1000)
public sealed class TimeParserTests
{
    [Theory]
    [InlineData("2021-11-15T00:00:00Z", 1636934400000L)]
    [InlineData("2021-11-15", 1636934400000L)]
    [InlineData("2021-11-18T00:00:00.017Z", 1637193600017L)]
    [InlineData("2023-02-02 09:20:00.138000+00:00", 1675329600138L)]
    [InlineData("2021-11-15T01:00:00+01:00", 1636934400000L)]
    [InlineData("20200101", 1577836800000L)]
    [InlineData("1577836800", 1577836800000L)]
    [InlineData("1577836800000", 1577836800000L)]
    [InlineData("1577836800000000", 1577836800000L)]
    public void ParsesEveryTimeFormatTheLayoutsUse(string text, long expected)
    {
        Assert.True(TimeParser.TryParse(Encoding.UTF8.GetBytes(text), TimeFormat.Auto, out var ms));
        Assert.Equal(expected, ms);
    }

    [Theory]
    [InlineData("2021-13-01")]
    [InlineData("2021-02-30")]
    [InlineData("2021-01-01T25:00:00Z")]
    [InlineData("yesterday")]
    [InlineData("2021-01-01T00:00:00Q")]
    public void RejectsWhatIsNotATime(string text) =>
        Assert.False(TimeParser.TryParse(Encoding.UTF8.GetBytes(text), TimeFormat.Iso, out _));

    [Fact]
    public void FormatsDaysWithoutTimeAndBarsWithIt()
    {
        Assert.Equal("2021-11-15", TimeParser.Format(1636934400000L));
        Assert.Equal("2021-11-18T00:00:00.017Z", TimeParser.Format(1637193600017L));
    }
}
