using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Runtime.Backtest;

/// <summary>One fill: <paramref name="Quantity"/> is signed (+ buy, − sell), the fee is money paid.</summary>
public sealed record Fill(int Bar, int Asset, double Quantity, double Price, double Fee, bool Maker);

/// <summary>
/// A round trip in one asset: from a flat position to a position and back to flat (a fill that
/// crosses zero closes one trade and opens the next). <paramref name="Pnl"/> counts fills, fees and
/// funding; an <paramref name="Open"/> trade is marked to the last close.
/// </summary>
public sealed record Trade(int Asset, int EntryBar, int ExitBar, int Side, double Pnl, bool Open);

/// <summary>
/// A risk event: trading stopped for a while or for good (<paramref name="Asset"/> −1, the whole book), or
/// a position's exit closed it (<paramref name="Asset"/> its asset). <paramref name="Rule"/> names the rule,
/// e.g. <c>daily_loss</c>, <c>max_drawdown</c>, <c>ruin</c>, <c>stop_loss</c>.
/// </summary>
public sealed record RiskEvent(int Bar, string Rule, string Message, int Asset = -1);

/// <summary>The outcome of a ledger simulation, bar by bar.</summary>
/// <param name="Equity">Equity at each bar's close.</param>
/// <param name="Returns">Equity return of each bar (bar 0 against the initial capital).</param>
/// <param name="Turnover">Notional traded at each bar as a fraction of equity before the trades.</param>
/// <param name="GrossExposure">Σ|position notional| / equity at each close.</param>
/// <param name="NetExposure">Σ position notional / equity at each close.</param>
/// <param name="Fills">Every fill, in time order.</param>
/// <param name="Trades">Round trips, closed first in the order they closed, then those still open.</param>
/// <param name="Funding">Funding paid (positive) or received (negative) in all.</param>
/// <param name="Fees">Fees paid in all.</param>
/// <param name="UnfilledOrders">Orders that did not fill in full (no price, limit not reached, participation cap).</param>
/// <param name="SkippedOrders">Orders below the minimum notional.</param>
/// <param name="RiskEvents">Risk limits that acted on the whole book (each position's exits are in <see cref="Exits"/>).</param>
/// <param name="Delisted">Positions closed at the last price because the asset's prices ended (delisted, or the data stops).</param>
/// <param name="RoundedUpOrders">Orders below the minimum notional rounded up to it.</param>
public sealed record LedgerResult(
    double[] Equity,
    double[] Returns,
    double[] Turnover,
    double[] GrossExposure,
    double[] NetExposure,
    IReadOnlyList<Fill> Fills,
    IReadOnlyList<Trade> Trades,
    double Funding,
    double Fees,
    int UnfilledOrders,
    int SkippedOrders,
    IReadOnlyList<RiskEvent> RiskEvents,
    int Delisted,
    int RoundedUpOrders = 0)
{
    /// <summary>Orders the venue refused by an instrument's filters (only where the venue has filters).</summary>
    public int RejectedOrders { get; init; }

    /// <summary>Positions closed by their exits (stop-loss, take-profit, trailing stop, ROI, maximum holding time), in order.</summary>
    public IReadOnlyList<RiskEvent> Exits { get; init; } = [];
}

/// <summary>
/// The ledger backtest: a book that trades units towards target weights, stepped bar by bar by the
/// execution engine against the simulated exchange. At each bar's close the targets (fractions of
/// equity, NaN = flat) become orders, which fill at the next bar's open (or, when asked, at the
/// signal bar's close) as market or post-only limit orders, with fees, slippage, a volume
/// participation cap, funding payments, the risk limits and the positions' exits. Positions drift
/// with prices between rebalances. Prices missing at a bar are carried from the last close for
/// marking; an order for an asset without a fill price does not fill. A position in an asset whose
/// prices end before the data does is closed at its last close on the bar after it (as a delisting
/// would). The targets are computed before (in blocks, see <c>StrategyBacktest</c>); the simulation
/// runs one bar at a time, exactly as paper and live trading step the same engine.
/// </summary>
public static class LedgerBacktest
{
    /// <summary>
    /// Runs the simulation over every bar of <paramref name="panel"/> with [time × asset] <paramref name="weights"/>.
    /// <paramref name="rebalanceBars"/> (optional) marks the bars whose targets are traded; between
    /// them positions drift untouched (risk limits and exits still act at every bar).
    /// </summary>
    public static LedgerResult Run(Panel panel, ReadOnlySpan<double> weights, LedgerOptions options, bool[]? rebalanceBars = null)
    {
        ArgumentNullException.ThrowIfNull(panel);
        if (weights.Length != panel.TimeCount * panel.AssetCount)
            throw new ArgumentException($"weights hold {weights.Length} values, the panel {panel.TimeCount} × {panel.AssetCount}");
        if (rebalanceBars is not null && rebalanceBars.Length != panel.TimeCount)
            throw new ArgumentException($"rebalance marks cover {rebalanceBars.Length} bars, the panel {panel.TimeCount}");
        var engine = Start(panel.Symbols, panel.Interval, [.. panel.Coverage().Select(c => c.Last)], options, panel.TimeCount);
        var a = panel.AssetCount;
        var open = panel.Column("open");
        var high = panel.Column("high");
        var low = panel.Column("low");
        var close = panel.Column("close");
        var volume = panel.HasColumn("volume") ? panel.Column("volume") : default;
        var funding = panel.HasColumn("funding_rate") ? panel.Column("funding_rate") : default;
        var times = panel.Times;
        for (var t = 0; t < panel.TimeCount; t++)
        {
            var row = t * a;
            var bar = new BarRow(t, times[t], open.Slice(row, a), high.Slice(row, a), low.Slice(row, a), close.Slice(row, a),
                volume.IsEmpty ? default : volume.Slice(row, a), funding.IsEmpty ? default : funding.Slice(row, a));
            engine.Step(bar, weights.Slice(row, a), rebalanceBars is null || rebalanceBars[t]);
        }
        return engine.Result();
    }

    /// <summary>
    /// The engine of a backtest over assets <paramref name="symbols"/> on bars of <paramref name="bar"/>, against a
    /// simulated exchange built from <paramref name="options"/> (fills, fees, slippage, participation cap, the
    /// instruments' filters), for stepping one bar at a time. <paramref name="lastBars"/> is each asset's last bar
    /// with a price (its delisting; null: none known); <paramref name="bars"/> sizes the series; alerts also go to
    /// <paramref name="alerts"/> when given.
    /// </summary>
    public static ExecutionEngine Start(IReadOnlyList<string> symbols, Interval bar, IReadOnlyList<int>? lastBars, LedgerOptions options,
        int bars = 1024, IAlertSink? alerts = null)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        ArgumentNullException.ThrowIfNull(options);
        var instruments = Instruments(symbols, options);
        var venue = new SimulatedExchange(instruments, options.InitialCapital, bar, FillModel(options), FeeModel(options), lastBars, journal: false);
        return new ExecutionEngine(Setup(symbols, instruments, bar, options, venue, options.InitialCapital, alerts ?? new AlertList()) with { Bars = bars });
    }

    /// <summary>The fill model of <paramref name="options"/>: bar fills with its slippage, capped by its share of volume when it has one.</summary>
    public static IFillModel FillModel(LedgerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        IFillModel fills = new BarFillModel(new FractionSlippageModel(options.Slippage));
        return double.IsNaN(options.MaxParticipation) ? fills : new VolumeShareFillModel(fills, options.MaxParticipation);
    }

    /// <summary>The maker and taker fees of <paramref name="options"/>.</summary>
    public static IFeeModel FeeModel(LedgerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new MakerTakerFeeModel(options.MakerFee, options.TakerFee);
    }

    /// <summary>
    /// What an engine over <paramref name="instruments"/> (by asset) is made of under <paramref name="options"/>, against
    /// <paramref name="venue"/>, starting from <paramref name="capital"/>: the execution policy sized within the instruments'
    /// filters, the target and account rules, the exits and the fill timing. Backtests, paper and live trading share it.
    /// </summary>
    public static EngineSetup Setup(IReadOnlyList<string> symbols, IReadOnlyList<Instrument> instruments, Interval bar, LedgerOptions options,
        IVenuePort venue, double capital, IAlertSink alerts)
    {
        ArgumentNullException.ThrowIfNull(instruments);
        ArgumentNullException.ThrowIfNull(options);
        var filters = instruments.Select(InstrumentFilter.Of).ToArray();
        var sizing = new SizingRules(options.MinNotional, options.RoundUpToMinNotional);
        IExecutionPolicy policy = options.Orders == OrderKind.Market
            ? new MarketExecutionPolicy(sizing, filters)
            : new LimitMakerExecutionPolicy(sizing, options.LimitOffset, options.LimitRetries, options.LimitShrink, options.LimitTimeoutSeconds,
                options.LimitFallbackMarket, bar.Milliseconds, filters);
        var risk = options.Risk;
        var accountRules = new List<IAccountRule>();
        if (!double.IsNaN(risk.MaxDrawdownFraction))
            accountRules.Add(new MaxDrawdownRiskRule(risk.MaxDrawdownFraction, capital));
        if (!double.IsNaN(risk.DailyLossFraction))
            accountRules.Add(new DailyLossRiskRule(risk.DailyLossFraction, capital));
        return new EngineSetup(symbols, capital, venue, policy, [new MaxPositionRiskRule(risk.MaxPositionFraction)], accountRules, alerts)
        {
            Exits = options.Exits,
            FillAtSignalClose = options.Timing == FillTiming.SignalClose && options.Orders == OrderKind.Market,
        };
    }

    /// <summary>The venue's instruments by asset: those <paramref name="options"/> give (by symbol), else unfiltered.</summary>
    public static IReadOnlyList<Instrument> Instruments(IReadOnlyList<string> symbols, LedgerOptions options)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Instruments is null)
            return SimulatedExchange.Unfiltered(symbols);
        return [.. symbols.Select(s => options.Instruments.TryGetValue(s, out var i) ? i with { Symbol = s } : new Instrument(s, s, "USDT", 0, 0, 0, 0, 0))];
    }
}
