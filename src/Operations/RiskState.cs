namespace StrategyLab.Operations;

/// <summary>What the risk rules allow: the value of the <c>strategylab_risk_state</c> gauge.</summary>
public enum RiskState
{
    /// <summary>Trading as the strategy decides.</summary>
    Trading = 0,
    /// <summary>Flattened by the daily loss limit; nothing opens until the next UTC day.</summary>
    HaltedForDay = 1,
    /// <summary>Flattened for good (a drawdown limit or ruin); a new deployment is needed to trade again.</summary>
    Stopped = 2,
}

/// <summary>The risk rules that halt or stop trading, as they name themselves in their events.</summary>
public static class RiskRules
{
    /// <summary>The state a rule's event puts trading in; <see cref="RiskState.Trading"/> for rules that only exit a position.</summary>
    public static RiskState StateAfter(string rule) => rule switch
    {
        "daily_loss" => RiskState.HaltedForDay,
        "max_drawdown" or "ruin" => RiskState.Stopped,
        _ => RiskState.Trading,
    };

    /// <summary>The next UTC midnight after <paramref name="barTime"/> (Unix ms): when a daily halt ends.</summary>
    public static long NextUtcDay(long barTime) => ((barTime / 86_400_000L) + 1) * 86_400_000L;
}
