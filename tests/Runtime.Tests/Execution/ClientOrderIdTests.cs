using System.Text.RegularExpressions;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Runtime.Tests.Execution;

public sealed class ClientOrderIdTests
{
    private const long Bar = 1_767_225_600_000L; // 2026-01-01

    [Fact]
    public void TheSameDecisionGivesTheSameId()
    {
        Assert.Equal(ClientOrderIds.For("plan-a", Bar, "BTCUSDT", OrderPurpose.Rebalance, 0),
            ClientOrderIds.For("plan-a", Bar, "BTCUSDT", OrderPurpose.Rebalance, 0));
    }

    [Fact]
    public void EachPartOfADecisionChangesTheId()
    {
        string[] ids =
        [
            ClientOrderIds.For("plan-a", Bar, "BTCUSDT", OrderPurpose.Rebalance, 0),
            ClientOrderIds.For("plan-b", Bar, "BTCUSDT", OrderPurpose.Rebalance, 0),
            ClientOrderIds.For("plan-a", Bar + 60_000, "BTCUSDT", OrderPurpose.Rebalance, 0),
            ClientOrderIds.For("plan-a", Bar, "ETHUSDT", OrderPurpose.Rebalance, 0),
            ClientOrderIds.For("plan-a", Bar, "BTCUSDT", OrderPurpose.StopLoss, 0),
            ClientOrderIds.For("plan-a", Bar, "BTCUSDT", OrderPurpose.Rebalance, 1),
        ];
        Assert.Equal(ids.Length, ids.Distinct().Count());
    }

    [Fact]
    public void IdsFitEveryVenuesRules()
    {
        // Binance: ^[\.A-Z\:/a-z0-9_-]{1,36}$; the largest bar time and attempt give the longest id
        var longest = ClientOrderIds.For(new string('x', 500), long.MaxValue, new string('Z', 100), OrderPurpose.MaxHold, 35);
        Assert.True(longest.Length <= ClientOrderIds.MaxLength, longest);
        Assert.Matches(new Regex("^[a-z0-9-]{1,36}$"), longest);
        Assert.Matches(new Regex("^[a-z0-9-]{1,36}$"), ClientOrderIds.For("plan-a", Bar, "1000PEPEUSDT", OrderPurpose.TakeProfit, 4));
    }
}
