using StrategyLab.Runtime.Execution;

namespace StrategyLab.Runtime.Tests.Execution;

public sealed class RiskRuleTests
{
    [Fact]
    public void MaxPositionClipsEveryWeightToItsLimit()
    {
        double[] targets = [0.5, -0.7, 0.1, 0, -0.2];
        new MaxPositionRiskRule(0.25).Apply(targets, new RiskContext(0, 0));
        Assert.Equal([0.25, -0.25, 0.1, 0, -0.2], targets);
    }

    [Fact]
    public void MaxDrawdownStopsOnceEquityFallsTooFarBelowItsPeak()
    {
        var rule = new MaxDrawdownRiskRule(0.2, 1_000);
        // the peak rises to 1,500 at a close; 1,201 is 19.9 % below it, 1,199 is 20.07 % below
        rule.Closed(1_500);
        Assert.Equal(AccountVerdict.None, rule.Check(new AccountState(1, 0, 1_201, false, long.MinValue), out _));
        Assert.Equal(AccountVerdict.Stop, rule.Check(new AccountState(2, 0, 1_199, false, long.MinValue), out var message));
        Assert.Equal("equity 1199.00 is more than 20.0 % below its peak 1500.00: flattened, trading stopped", message);
        // once stopped, it says no more
        Assert.Equal(AccountVerdict.None, rule.Check(new AccountState(3, 0, 900, true, long.MinValue), out _));
    }

    [Fact]
    public void DailyLossMeasuresFromTheEquityTheDayOpenedWith()
    {
        var rule = new DailyLossRiskRule(0.05, 1_000);
        // day 10 opens with the initial 1,000: 951 is within 5 %, 949 is not
        rule.Open(10, 1_000);
        Assert.Equal(AccountVerdict.None, rule.Check(new AccountState(0, 10, 951, false, long.MinValue), out _));
        Assert.Equal(AccountVerdict.HaltForDay, rule.Check(new AccountState(1, 10, 949, false, long.MinValue), out _));
        // halted for day 10, it says no more that day; day 11 starts from the last close, 800: 761 is within 5 %, 759 is not
        Assert.Equal(AccountVerdict.None, rule.Check(new AccountState(2, 10, 700, false, 10), out _));
        rule.Open(11, 800);
        Assert.Equal(AccountVerdict.None, rule.Check(new AccountState(3, 11, 761, false, 10), out _));
        Assert.Equal(AccountVerdict.HaltForDay, rule.Check(new AccountState(4, 11, 759, false, 10), out var message));
        Assert.Equal("equity 759.00 is more than 5.0 % below the day's start 800.00: flattened, halted until the next UTC day", message);
    }
}
