using System.Globalization;
using System.Threading.Channels;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Execution;
using StrategyLab.Runtime.Trading;

namespace StrategyLab.Operations.Alerts;

/// <summary>
/// Tells a person what an unattended runner does, through chat channels: each fill, each risk halt or stop, each
/// order the venue refuses, each failure, a market data stream down for longer than <c>disconnectAfter</c> (and
/// back), and a summary of each UTC day as the first bar of the next is stepped. Messages are queued and sent in
/// order by a task of their own, so a slow or failing receiver never holds the runner up; a failed delivery is logged
/// (without the channel's address) and dropped.
/// </summary>
public sealed class AlertNotifier : ITradingObserver, IVenueObserver, IAsyncDisposable
{
    private static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(5);

    private readonly IReadOnlyList<IAlertChannel> _channels;
    private readonly Action<string>? _log;
    private readonly TimeProvider _time;
    private readonly TimeSpan _disconnectAfter;
    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _sender;
    private readonly ITimer _watch;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (DateTimeOffset Since, string Reason, bool Told)> _down = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dayOrderIds = new(StringComparer.Ordinal);
    private string _who = "strategylab";
    private long _day = long.MinValue;
    private double _dayStartEquity = double.NaN;
    private double _equity = double.NaN;
    private StepSnapshot? _last;
    private int _dayFills;
    private int _dayOrders;
    private int _dayRejects;
    private int _delivered;
    private int _failures;

    /// <summary>Sends to <paramref name="channels"/>; a stream down for <paramref name="disconnectAfter"/> (default a minute) is told.</summary>
    public AlertNotifier(IReadOnlyList<IAlertChannel> channels, Action<string>? log = null, TimeProvider? time = null, TimeSpan? disconnectAfter = null)
    {
        ArgumentNullException.ThrowIfNull(channels);
        _channels = channels;
        _log = log;
        _time = time ?? TimeProvider.System;
        _disconnectAfter = disconnectAfter ?? TimeSpan.FromMinutes(1);
        _sender = Task.Run(SendAll);
        _watch = _time.CreateTimer(_ => CheckDisconnects(), null, CheckEvery, CheckEvery);
    }

    /// <summary>Messages every channel took.</summary>
    public int Delivered => Volatile.Read(ref _delivered);

    /// <summary>Deliveries that failed.</summary>
    public int Failures => Volatile.Read(ref _failures);

    /// <inheritdoc />
    public void Started(Deployment deployment, double equity)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        lock (_lock)
        {
            _who = $"{deployment.Strategy} on {deployment.Venue}";
            _equity = equity;
            _dayStartEquity = equity;
        }
        // positions held at start have no price until the first bar
        var worth = double.IsNaN(equity) ? "equity known at the first bar" : string.Create(CultureInfo.InvariantCulture, $"equity {equity:N2}");
        Tell($"started (session {deployment.Session}), {worth}");
    }

    /// <inheritdoc />
    public void Stepped(StepSnapshot step)
    {
        ArgumentNullException.ThrowIfNull(step);
        string? summary = null;
        lock (_lock)
        {
            var day = step.BarTime / 86_400_000L;
            if (_day != long.MinValue && day != _day)
            {
                summary = DaySummary();
                _dayStartEquity = _equity;
                _dayFills = _dayOrders = _dayRejects = 0;
                _dayOrderIds.Clear();
            }
            if (_day == long.MinValue && double.IsNaN(_dayStartEquity))
                _dayStartEquity = step.Equity;
            _day = day;
            _equity = step.Equity;
            _last = step;
        }
        if (summary is not null)
            Tell(summary);
    }

    /// <inheritdoc />
    public void OrderChanged(OrderState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        lock (_lock)
        {
            if (_dayOrderIds.Add(state.ClientOrderId))
                _dayOrders++;
            if (state.Status != OrderStatus.Rejected)
                return;
            _dayRejects++;
        }
        Tell(string.Create(CultureInfo.InvariantCulture,
            $"order rejected: {state.Symbol} {state.Side} {state.Quantity}{(state.RejectReason is { } why ? $" ({why})" : "")} ({state.ClientOrderId})"));
    }

    /// <inheritdoc />
    public void Filled(JournalFill fill)
    {
        ArgumentNullException.ThrowIfNull(fill);
        lock (_lock)
            _dayFills++;
        var side = fill.Quantity > 0 ? "bought" : "sold";
        Tell(string.Create(CultureInfo.InvariantCulture,
            $"fill: {side} {Math.Abs(fill.Quantity)} {fill.Symbol} at {fill.Price}, fee {fill.Fee} {fill.FeeAsset}{(fill.Adopted ? " (position adopted)" : "")}"));
    }

    /// <inheritdoc />
    public void RiskFired(RiskEvent alert, long barTime)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var state = RiskRules.StateAfter(alert.Rule);
        if (state == RiskState.Trading)
            return;
        var what = state == RiskState.Stopped ? "RISK STOP" : "RISK HALT";
        Tell($"{what} ({alert.Rule}): {alert.Message}");
    }

    /// <inheritdoc />
    public void Failed(string message) => Tell($"ERROR: {message}");

    /// <inheritdoc />
    public void StreamConnected(string stream)
    {
        (DateTimeOffset Since, string Reason, bool Told) down;
        lock (_lock)
        {
            if (!_down.Remove(stream, out down))
                return;
        }
        if (down.Told)
            Tell(string.Create(CultureInfo.InvariantCulture, $"{stream} reconnected after {(_time.GetUtcNow() - down.Since).TotalMinutes:F1} min"));
    }

    /// <inheritdoc />
    public void StreamDropped(string stream, string reason)
    {
        lock (_lock)
        {
            if (!_down.ContainsKey(stream))
                _down[stream] = (_time.GetUtcNow(), reason, false);
        }
    }

    /// <inheritdoc />
    public void Requested(string operation, TimeSpan elapsed, bool succeeded)
    {
    }

    /// <summary>Tells each stream down for longer than the limit, once (a timer calls this every few seconds).</summary>
    public void CheckDisconnects()
    {
        var now = _time.GetUtcNow();
        var tell = new List<string>();
        lock (_lock)
        {
            foreach (var (stream, down) in _down.ToList())
            {
                if (down.Told || now - down.Since < _disconnectAfter)
                    continue;
                _down[stream] = down with { Told = true };
                tell.Add(string.Create(CultureInfo.InvariantCulture,
                    $"DISCONNECTED: {stream} down for {(now - down.Since).TotalMinutes:F1} min ({down.Reason}); no bar is stepped until it is back"));
            }
        }
        foreach (var line in tell)
            Tell(line);
    }

    /// <summary>Sends what is queued, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        await _watch.DisposeAsync().ConfigureAwait(false);
        _queue.Writer.TryComplete();
        await _sender.ConfigureAwait(false);
    }

    private string DaySummary()
    {
        var day = DateTimeOffset.FromUnixTimeMilliseconds(_day * 86_400_000L).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var pnl = _equity - _dayStartEquity;
        var pct = _dayStartEquity > 0 ? pnl / _dayStartEquity : 0;
        var held = _last is { Positions.Count: > 0 } last
            ? string.Join(", ", last.Positions.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Symbol} {p.Quantity:G6}")))
            : "flat";
        return string.Create(CultureInfo.InvariantCulture,
            $"daily summary {day} UTC: equity {_equity:N2}, PnL {pnl:+#,0.00;-#,0.00;0.00} ({pct:+0.00%;-0.00%;0.00%}), {_dayOrders} order(s), {_dayFills} fill(s), {_dayRejects} rejected; positions: {held}");
    }

    private void Tell(string text)
    {
        string who;
        lock (_lock)
            who = _who;
        _queue.Writer.TryWrite($"[{who}] {text}");
    }

    private async Task SendAll()
    {
        await foreach (var text in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            foreach (var channel in _channels)
            {
                try
                {
                    await channel.SendAsync(text, CancellationToken.None).ConfigureAwait(false);
                    Interlocked.Increment(ref _delivered);
                }
                catch (AlertDeliveryException e)
                {
                    Interlocked.Increment(ref _failures);
                    _log?.Invoke($"alert not delivered: {e.Message}");
                }
                catch (Exception e)
                {
                    // whatever goes wrong, the sender lives on; the exception's text may name the address, so only its kind is shown
                    Interlocked.Increment(ref _failures);
                    _log?.Invoke($"alert not delivered: {channel.Name} failed ({e.GetType().Name})");
                }
            }
        }
    }
}
