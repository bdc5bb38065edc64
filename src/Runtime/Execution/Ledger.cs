using System.Runtime.CompilerServices;
using StrategyLab.Runtime.Backtest;

namespace StrategyLab.Runtime.Execution;

/// <summary>
/// The engine's book, advanced one bar at a time from the venue's events: its own account (cash,
/// positions, each position's average entry price), the bar each position was held from, the
/// last price of every asset for marking, fills and round-trip trades with their P&amp;L (fees and
/// funding included), the counts of orders that did not go as sent, and equity, returns, turnover
/// and exposure per bar. Its arithmetic is the simulation's, in doubles, event by event in the order
/// the venue reports them.
/// </summary>
public sealed class Ledger
{
    private readonly double[] _lastClose;
    private readonly int[] _tradeEntry;
    private readonly double[] _tradePnl;
    private readonly List<Fill> _fills = [];
    private readonly List<Trade> _trades = [];
    private double[] _equity;
    private double[] _returns;
    private double[] _turnover;
    private double[] _gross;
    private double[] _net;
    private int _recorded;

    /// <summary>A book of <paramref name="initialCapital"/> in cash over <paramref name="assets"/> assets, sized for about <paramref name="bars"/> bars.</summary>
    public Ledger(int assets, double initialCapital, int bars = 1024)
    {
        Account = new Account(assets, initialCapital);
        _lastClose = new double[assets];
        _lastClose.AsSpan().Fill(double.NaN);
        _tradeEntry = new int[assets];
        _tradePnl = new double[assets];
        var capacity = Math.Max(1, bars);
        _equity = new double[capacity];
        _returns = new double[capacity];
        _turnover = new double[capacity];
        _gross = new double[capacity];
        _net = new double[capacity];
    }

    /// <summary>Cash and positions.</summary>
    public Account Account { get; }

    /// <summary>The last close of each asset (NaN before its first).</summary>
    public ReadOnlySpan<double> LastClose => _lastClose;

    /// <summary>The bar being booked.</summary>
    public int Bar { get; private set; } = -1;

    /// <summary>True once the bar has closed: fills now happen at its close, and positions they open are held from the next bar.</summary>
    public bool AtClose { get; private set; }

    /// <summary>Notional the strategy's orders traded in this bar.</summary>
    public double Traded { get; private set; }

    /// <summary>Fees paid in all.</summary>
    public double Fees { get; private set; }

    /// <summary>Funding paid (negative: received) in all.</summary>
    public double Funding { get; private set; }

    /// <summary>Order attempts that did not fill in full.</summary>
    public int Unfilled { get; private set; }

    /// <summary>Orders below the minimum notional that were not sent.</summary>
    public int Skipped { get; private set; }

    /// <summary>Orders below the minimum notional raised to it.</summary>
    public int RoundedUp { get; private set; }

    /// <summary>Positions closed because their asset's prices ended.</summary>
    public int Delisted { get; private set; }

    /// <summary>Orders the venue refused by its filters.</summary>
    public int Rejected { get; private set; }

    /// <summary>Bars recorded so far.</summary>
    public int Bars => _recorded;

    /// <summary>Bar <paramref name="bar"/> opens: its trading starts.</summary>
    public void Open(int bar)
    {
        Bar = bar;
        AtClose = false;
        Traded = 0;
    }

    /// <summary>The bar closes at <paramref name="close"/> (NaN: no price, the last one stands).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Close(ReadOnlySpan<double> close)
    {
        Rows.CarryForward(_lastClose, close);
        AtClose = true;
    }

    /// <summary>Returns equity (cash and positions at their last prices), with the gross and net notional.</summary>
    public double Mark(out double grossNotional, out double netNotional) => Account.Mark(_lastClose, out grossNotional, out netNotional);

    /// <summary>Books one venue event.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Apply(in VenueEvent e)
    {
        switch (e.Kind)
        {
            case VenueEventKind.Fill:
                Book(e.Asset, e.Quantity, e.Price, e.Amount, e.Maker, e.Purpose);
                break;
            case VenueEventKind.Unfilled:
                Unfilled++;
                break;
            case VenueEventKind.Funding:
                Account.Pay(e.Amount);
                Funding += e.Amount;
                _tradePnl[e.Asset] -= e.Amount;
                break;
            case VenueEventKind.Delisted:
                Delisted++;
                break;
            case VenueEventKind.Liquidated:
                Account.Floor();
                break;
            case VenueEventKind.Rejected:
                Rejected++;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(e), e.Kind, "unknown venue event");
        }
    }

    /// <summary>Takes up a saved book after bar <paramref name="bar"/> closed: cash, positions, entry prices and last closes.</summary>
    internal void Restore(int bar, double cash, ReadOnlySpan<double> units, ReadOnlySpan<double> entryPrice, ReadOnlySpan<double> lastClose)
    {
        Account.Restore(cash, units, entryPrice);
        lastClose.CopyTo(_lastClose);
        Bar = bar;
        AtClose = true;
    }

    /// <summary>Counts an order that could not be sized for want of a price (it is retried at the next decision).</summary>
    public void CountNoPrice() => Unfilled++;

    /// <summary>Counts an order below the minimum notional that was not sent.</summary>
    public void CountSkipped() => Skipped++;

    /// <summary>Counts an order below the minimum notional raised to it.</summary>
    public void CountRoundedUp() => RoundedUp++;

    /// <summary>Records the bar's close: equity, its return and turnover against <paramref name="previousEquity"/>, exposures.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Record(double equity, double previousEquity, double grossNotional, double netNotional)
    {
        if (_recorded == _equity.Length)
            Grow();
        var t = _recorded++;
        _equity[t] = equity;
        _returns[t] = previousEquity > 0 ? equity / previousEquity - 1 : 0;
        _turnover[t] = previousEquity > 0 ? Traded / previousEquity : 0;
        _gross[t] = equity > 0 ? grossNotional / equity : 0;
        _net[t] = equity > 0 ? netNotional / equity : 0;
    }

    /// <summary>
    /// The result so far: positions still open are trades marked to their last close at the last bar booked;
    /// <paramref name="riskEvents"/> and <paramref name="exits"/> are the alerts raised.
    /// </summary>
    public LedgerResult Result(IReadOnlyList<RiskEvent> riskEvents, IReadOnlyList<RiskEvent> exits)
    {
        var trades = new List<Trade>(_trades);
        var units = Account.Units;
        for (var i = 0; i < units.Length; i++)
        {
            if (units[i] != 0)
                trades.Add(new Trade(i, _tradeEntry[i], Bar, Math.Sign(units[i]), _tradePnl[i] + units[i] * _lastClose[i], Open: true));
        }
        return new LedgerResult(Trim(_equity), Trim(_returns), Trim(_turnover), Trim(_gross), Trim(_net), _fills, trades, Funding, Fees,
            Unfilled, Skipped, riskEvents, Delisted, RoundedUp)
        {
            RejectedOrders = Rejected,
            Exits = exits,
        };
    }

    private double[] Trim(double[] series) => series.Length == _recorded ? series : series[.._recorded];

    private void Grow()
    {
        var size = _equity.Length * 2;
        Array.Resize(ref _equity, size);
        Array.Resize(ref _returns, size);
        Array.Resize(ref _turnover, size);
        Array.Resize(ref _gross, size);
        Array.Resize(ref _net, size);
    }

    // round-trip bookkeeping: a fill crossing zero closes the trade at its share of the fill and opens the next
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Book(int asset, double quantity, double price, double fee, bool maker, OrderPurpose purpose)
    {
        var notional = Math.Abs(quantity) * price;
        Fees += fee;
        _fills.Add(new Fill(Bar, asset, quantity, price, fee, maker));
        var before = Account.Fill(asset, quantity, price, fee);
        var after = Account.Units[asset];
        if (purpose.IsTraded())
            Traded += notional;
        var t = Bar;
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
}
