using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Data;

namespace StrategyLab.Runtime.Tests.Backtest;

// The ledger simulation as it was before the execution engine: fills, funding and risk in one loop
// over the whole time × asset weights array. Kept unchanged as the reference the engine must equal
// bit for bit on every input it already accepted (LedgerEquivalenceTests).
internal sealed class ReferenceLedger
{
    private readonly LedgerOptions _options;
    private readonly int _assets;
    private readonly double[] _units;
    private readonly double[] _lastClose;
    private readonly double[] _pending;
    private readonly double[] _pendingReference;
    private readonly int[] _tradeEntry;
    private readonly double[] _tradePnl;
    private readonly List<Fill> _fills = [];
    private readonly List<Trade> _trades = [];
    private readonly List<RiskEvent> _events = [];
    private double _cash;
    private double _fees;
    private double _funding;
    private int _unfilled;
    private int _skipped;
    private int _roundedUp;
    private int _delisted;
    private readonly int _quotesPerBar;

    private ReferenceLedger(int assets, LedgerOptions options, long barMilliseconds)
    {
        _options = options;
        // the first quote and its re-quotes, as many as fit in a bar at one per timeout
        var fit = options.LimitTimeoutSeconds > 0 ? (long)Math.Floor(barMilliseconds / (options.LimitTimeoutSeconds * 1000)) : long.MaxValue;
        _quotesPerBar = (int)Math.Max(1, Math.Min(1L + Math.Max(0, options.LimitRetries), fit));
        _assets = assets;
        _units = new double[assets];
        _lastClose = new double[assets];
        _lastClose.AsSpan().Fill(double.NaN);
        _pending = new double[assets];
        _pendingReference = new double[assets];
        _tradeEntry = new int[assets];
        _tradePnl = new double[assets];
        _cash = options.InitialCapital;
    }

    /// <summary>
    /// Runs the simulation over every bar of <paramref name="panel"/> with [time × asset] <paramref name="weights"/>.
    /// <paramref name="rebalanceBars"/> (optional) marks the bars whose targets are traded; between
    /// them positions drift untouched (risk limits still act at every bar).
    /// </summary>
    public static LedgerResult Run(Panel panel, ReadOnlySpan<double> weights, LedgerOptions options, bool[]? rebalanceBars = null)
    {
        ArgumentNullException.ThrowIfNull(panel);
        if (weights.Length != panel.TimeCount * panel.AssetCount)
            throw new ArgumentException($"weights hold {weights.Length} values, the panel {panel.TimeCount} × {panel.AssetCount}");
        if (rebalanceBars is not null && rebalanceBars.Length != panel.TimeCount)
            throw new ArgumentException($"rebalance marks cover {rebalanceBars.Length} bars, the panel {panel.TimeCount}");
        return new ReferenceLedger(panel.AssetCount, options, panel.Interval.Milliseconds).Simulate(panel, weights, rebalanceBars);
    }

    private LedgerResult Simulate(Panel panel, ReadOnlySpan<double> weights, bool[]? rebalanceBars)
    {
        var bars = panel.TimeCount;
        var a = _assets;
        var open = panel.Column("open");
        var high = panel.Column("high");
        var low = panel.Column("low");
        var close = panel.Column("close");
        var volume = panel.HasColumn("volume") ? panel.Column("volume") : default;
        var funding = panel.HasColumn("funding_rate") ? panel.Column("funding_rate") : default;
        var times = panel.Times;
        var equity = new double[bars];
        var returns = new double[bars];
        var turnover = new double[bars];
        var gross = new double[bars];
        var net = new double[bars];
        var risk = _options.Risk;
        double previousEquity = _options.InitialCapital, peak = previousEquity, dayStart = previousEquity;
        var stopped = false;
        var haltedDay = long.MinValue;
        var lastPriced = panel.Coverage().Select(c => c.Last).ToArray();

        for (var t = 0; t < bars; t++)
        {
            var day = times[t] / 86_400_000L;
            if (t > 0 && day != times[t - 1] / 86_400_000L)
                dayStart = previousEquity;
            var row = t * a;
            var traded = 0.0;
            if (_options.Timing == FillTiming.NextOpen || _options.Orders == OrderKind.LimitMaker)
            {
                traded += FillPending(t, open.Slice(row, a), high.Slice(row, a), low.Slice(row, a),
                    volume.IsEmpty ? default : volume.Slice(row, a));
            }
            CloseDelisted(t, lastPriced);
            if (!funding.IsEmpty)
                PayFunding(funding.Slice(row, a), open.Slice(row, a), close.Slice(row, a));

            var closeRow = close.Slice(row, a);
            for (var i = 0; i < a; i++)
            {
                if (!double.IsNaN(closeRow[i]))
                    _lastClose[i] = closeRow[i];
            }
            var value = Mark(out var grossNotional, out var netNotional);
            if (value <= 0 && !stopped)
            {
                // the exchange's liquidation takes everything and no more: the book is closed at the close and the account is empty
                Liquidate(t);
                value = Mark(out grossNotional, out netNotional);
                stopped = true;
                _events.Add(new(t, "ruin", "equity fell to zero or below: every position was liquidated and trading stopped"));
            }

            // risk limits act on the close, before the next orders are decided
            var flatten = stopped || day == haltedDay;
            if (!stopped && !double.IsNaN(risk.MaxDrawdownFraction) && value < peak * (1 - risk.MaxDrawdownFraction))
            {
                stopped = flatten = true;
                _events.Add(new(t, "max_drawdown", $"equity {value:F2} is more than {risk.MaxDrawdownFraction:P1} below its peak {peak:F2}: flattened, trading stopped"));
            }
            else if (day != haltedDay && !double.IsNaN(risk.DailyLossFraction) && value < dayStart * (1 - risk.DailyLossFraction))
            {
                haltedDay = day;
                flatten = true;
                _events.Add(new(t, "daily_loss", $"equity {value:F2} is more than {risk.DailyLossFraction:P1} below the day's start {dayStart:F2}: flattened, halted until the next UTC day"));
            }

            if (flatten || rebalanceBars is null || rebalanceBars[t])
                Decide(t, weights.Slice(row, a), flatten, value, volume.IsEmpty ? default : volume.Slice(row, a), ref traded);
            if (_options.Timing == FillTiming.SignalClose && _options.Orders == OrderKind.Market)
                value = Mark(out grossNotional, out netNotional);

            equity[t] = value;
            returns[t] = previousEquity > 0 ? value / previousEquity - 1 : 0;
            turnover[t] = previousEquity > 0 ? traded / previousEquity : 0;
            gross[t] = value > 0 ? grossNotional / value : 0;
            net[t] = value > 0 ? netNotional / value : 0;
            peak = Math.Max(peak, value);
            previousEquity = value;
        }
        CloseOpenTrades(bars - 1);
        return new LedgerResult(equity, returns, turnover, gross, net, _fills, _trades, _funding, _fees, _unfilled, _skipped, _events, _delisted, _roundedUp);
    }

    private void Liquidate(int t)
    {
        for (var i = 0; i < _assets; i++)
        {
            _pending[i] = 0;
            if (_units[i] != 0)
                Execute(t, i, -_units[i], _lastClose[i], 0, maker: false);
        }
        _cash = Math.Max(_cash, 0);
    }

    private void CloseDelisted(int t, int[] lastPriced)
    {
        for (var i = 0; i < _assets; i++)
        {
            if (_units[i] == 0 || t <= lastPriced[i])
                continue;
            _pending[i] = 0;
            _delisted++;
            Execute(t, i, -_units[i], _lastClose[i], _options.TakerFee, maker: false);
        }
    }

    private double Mark(out double grossNotional, out double netNotional)
    {
        grossNotional = 0;
        netNotional = 0;
        for (var i = 0; i < _assets; i++)
        {
            if (_units[i] == 0)
                continue;
            var notional = _units[i] * _lastClose[i];
            grossNotional += Math.Abs(notional);
            netNotional += notional;
        }
        return _cash + netNotional;
    }

    // turns target weights into orders: filled now at the close, or left pending for the next bar
    private void Decide(int t, ReadOnlySpan<double> weights, bool flatten, double equity, ReadOnlySpan<double> volume, ref double traded)
    {
        var maxPosition = _options.Risk.MaxPositionFraction;
        for (var i = 0; i < _assets; i++)
        {
            _pending[i] = 0;
            var w = flatten || double.IsNaN(weights[i]) ? 0.0 : Math.Clamp(weights[i], -maxPosition, maxPosition);
            var price = _lastClose[i];
            if (double.IsNaN(price))
            {
                if (w != 0)
                    _unfilled++;
                continue;
            }
            var order = w * equity / price - _units[i];
            if (order == 0)
                continue;
            var closing = w == 0;
            if (!closing && Math.Abs(order) * price < _options.MinNotional)
            {
                var adding = Math.Sign(order) == Math.Sign(w);
                if (!_options.RoundUpToMinNotional || !adding)
                {
                    _skipped++;
                    continue;
                }
                order = Math.Sign(order) * _options.MinNotional / price;
                _roundedUp++;
            }
            if (_options.Timing == FillTiming.SignalClose && _options.Orders == OrderKind.Market)
            {
                var quantity = Capped(order, volume.IsEmpty ? double.NaN : volume[i]);
                traded += Execute(t, i, quantity, price * (1 + Math.Sign(quantity) * _options.Slippage), _options.TakerFee, maker: false);
                continue;
            }
            _pending[i] = order;
            _pendingReference[i] = price;
        }
    }

    private double FillPending(int t, ReadOnlySpan<double> open, ReadOnlySpan<double> high, ReadOnlySpan<double> low, ReadOnlySpan<double> volume)
    {
        var traded = 0.0;
        for (var i = 0; i < _assets; i++)
        {
            var order = _pending[i];
            if (order == 0)
                continue;
            _pending[i] = 0;
            if (double.IsNaN(open[i]))
            {
                _unfilled++;
                continue;
            }
            var quantity = Capped(order, volume.IsEmpty ? double.NaN : volume[i]);
            if (_options.Orders == OrderKind.Market)
            {
                traded += Execute(t, i, quantity, open[i] * (1 + Math.Sign(order) * _options.Slippage), _options.TakerFee, maker: false);
                continue;
            }
            if (Quote(order, _pendingReference[i], low[i], high[i]) is not { } limit)
            {
                _unfilled++;
                continue;
            }
            traded += Execute(t, i, quantity, limit, _options.MakerFee, maker: true);
        }
        return traded;
    }

    // the first of the bar's quotes (offset, offset × shrink, ...) the bar trades through, or null
    private double? Quote(double order, double reference, double low, double high)
    {
        var offset = _options.LimitOffset;
        for (var k = 0; k < _quotesPerBar; k++, offset *= _options.LimitShrink)
        {
            var limit = reference * (1 - Math.Sign(order) * offset);
            if (order > 0 ? low < limit : high > limit)
                return limit;
        }
        return null;
    }

    private double Capped(double order, double barVolume)
    {
        if (double.IsNaN(_options.MaxParticipation) || double.IsNaN(barVolume))
            return order;
        var cap = _options.MaxParticipation * barVolume;
        if (Math.Abs(order) <= cap)
            return order;
        _unfilled++;
        return Math.Sign(order) * cap;
    }

    private double Execute(int t, int asset, double quantity, double price, double feeRate, bool maker)
    {
        if (quantity == 0)
            return 0;
        var notional = Math.Abs(quantity) * price;
        var fee = notional * feeRate;
        _cash -= quantity * price + fee;
        _fees += fee;
        _fills.Add(new Fill(t, asset, quantity, price, fee, maker));
        Book(t, asset, quantity, price, fee);
        return notional;
    }

    // round-trip bookkeeping: a fill crossing zero closes the trade at its share of the fill and opens the next
    private void Book(int t, int asset, double quantity, double price, double fee)
    {
        var before = _units[asset];
        var after = before + quantity;
        _units[asset] = Math.Abs(after) < 1e-12 * Math.Abs(quantity) ? 0 : after;
        after = _units[asset];
        if (before == 0)
        {
            _tradeEntry[asset] = t;
            _tradePnl[asset] = -quantity * price - fee;
            return;
        }
        if (Math.Sign(after) == Math.Sign(before))
        {
            _tradePnl[asset] += -quantity * price - fee;
            return;
        }
        var closingShare = Math.Abs(before) / Math.Abs(quantity);
        _tradePnl[asset] += (-quantity * price - fee) * closingShare;
        _trades.Add(new Trade(asset, _tradeEntry[asset], t, Math.Sign(before), _tradePnl[asset], Open: false));
        _tradeEntry[asset] = t;
        _tradePnl[asset] = after == 0 ? 0 : (-quantity * price - fee) * (1 - closingShare);
    }

    private void PayFunding(ReadOnlySpan<double> rate, ReadOnlySpan<double> open, ReadOnlySpan<double> close)
    {
        for (var i = 0; i < _assets; i++)
        {
            if (_units[i] == 0 || double.IsNaN(rate[i]))
                continue;
            var price = !double.IsNaN(open[i]) ? open[i] : !double.IsNaN(close[i]) ? close[i] : _lastClose[i];
            var payment = _units[i] * price * rate[i];
            _cash -= payment;
            _funding += payment;
            _tradePnl[i] -= payment;
        }
    }

    private void CloseOpenTrades(int lastBar)
    {
        for (var i = 0; i < _assets; i++)
        {
            if (_units[i] != 0)
                _trades.Add(new Trade(i, _tradeEntry[i], lastBar, Math.Sign(_units[i]), _tradePnl[i] + _units[i] * _lastClose[i], Open: true));
        }
    }
}
