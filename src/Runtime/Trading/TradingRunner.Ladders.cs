using System.Globalization;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Runtime.Trading;

// The execution policy's ladders across a restart: each attempt's placement time and the policy's own cancels are
// journaled, so that a restarted runner works the ladder of the bar at hand on from where it stopped.
public sealed partial class TradingRunner
{
    // the quote due cancelled and the venue's answer journaled as the policy's (its next attempt is owed what it left); the
    // quantity it filled, or null when the cancel failed: its fate is read at the next step, and no attempt may rest beside it
    private async Task<decimal?> CancelQuoteAsync(OrderRequest resting, CancellationToken cancel)
    {
        OrderState state;
        try
        {
            state = await _exchange.Cancel(resting.Symbol, resting.ClientOrderId, cancel).ConfigureAwait(false);
        }
        catch (ExchangeError e)
        {
            Say($"order {resting.ClientOrderId} ({resting.Symbol}): not re-quoted: {e.Message}");
            return null;
        }
        _journal.RecordRequote(Deployment, state);
        Mirror(state);
        Remember(state.ClientOrderId, o => o with { Requoted = true });
        _setup.Checkpoint?.Invoke(TradingCheckpoint.QuoteCancelled, resting.ClientOrderId);
        return state.FilledQuantity;
    }

    // the answer to a placement, with the venue's time it came (to the millisecond, as journaled): a quote rests its patience from it
    private void WritePlacement(OrderState state, DateTimeOffset now)
    {
        var placed = DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds());
        _journal.RecordPlacement(Deployment, state, placed);
        Mirror(state);
        Remember(state.ClientOrderId, o => o with { Placed = placed });
    }

    // an order looked up at reconciliation; one resting without a placement time (its answer was lost, or it was placed before
    // placements were journaled) takes the venue's time of its last update, no earlier than its placement
    private void WriteFound(JournalOrder order, OrderState state)
    {
        if (order.Placed is null && !JournalOrderStatuses.Of(state.Status).IsDone())
            WritePlacement(state, state.UpdatedAt);
        else
            WriteState(state);
    }

    private void Remember(string clientOrderId, Func<JournalOrder, JournalOrder> change)
    {
        if (_orders.TryGetValue(clientOrderId, out var known))
            _orders[clientOrderId] = (known.Sequence, change(known.Order));
    }

    // the ladders of the bar at hand (not before the last step, its decision current) that a stopped runner left in the
    // middle: the last attempt journaled rests (it is worked again, due when it was) or was cancelled by the policy (its next
    // attempt is owed now); one that was never sent was sent or marked unsent by reconciliation before, as any order
    private void TakeUpLadders(long lastStep, List<string> findings)
    {
        if (_setup.Market is not null)
            return;
        var now = _exchange.Now;
        var current = Orders().Where(o => o.BarTime >= lastStep && now.ToUnixTimeMilliseconds() < o.BarTime + (2 * _setup.Bar.Milliseconds)).ToList();
        if (current.Count == 0)
            return;
        var intents = _journal.Intents(Deployment);
        foreach (var ladder in current.GroupBy(o => (o.BarTime, o.Request.Symbol, o.Purpose)))
        {
            var (bar, symbol, purpose) = ladder.Key;
            if (!_assets.TryGetValue(symbol, out var asset) || LastAttempt(ladder, bar, symbol, purpose) is not ({ } last, var attempt))
                continue;
            // a position's stop rests through its bar as it is: it is no quote of a ladder
            if (last.Request.Type == OrderType.StopMarket)
                continue;
            var resting = last.Status is JournalOrderStatus.New or JournalOrderStatus.PartiallyFilled;
            if (!last.Requoted && !resting)
                continue;
            if (_policy.Patience(attempt) is not { } patience
                || intents.FirstOrDefault(i => i.BarTime == bar && i.Symbol == symbol && i.Purpose == purpose) is not { } decided)
                continue;
            var r = last.Request;
            var intent = new OrderIntent(asset, (r.Side == OrderSide.Buy ? 1 : -1) * (double)r.Quantity, decided.ReferencePrice, purpose, r.ReduceOnly);
            var quote = last.Requoted
                ? new WorkedQuote(intent, bar, attempt, r, now) { Cancelled = true }
                : new WorkedQuote(intent, bar, attempt, r, (last.Placed ?? now) + patience);
            _quotes.Add(quote);
            findings.Add(last.Requoted
                ? $"order {r.ClientOrderId} ({symbol}) was cancelled to be re-quoted: its next attempt is owed what it left"
                : string.Create(CultureInfo.InvariantCulture,
                    $"order {r.ClientOrderId} ({symbol}) rests as attempt {attempt} of its ladder, re-quoted at {quote.Due.UtcDateTime:yyyy-MM-dd HH:mm:ss.fff} UTC"));
        }
    }

    // the ladder's attempt journaled last and its number, by the ids the policy gives its attempts
    private (JournalOrder? Order, int Attempt) LastAttempt(IEnumerable<JournalOrder> ladder, long bar, string symbol, OrderPurpose purpose)
    {
        var attempts = Enumerable.Range(0, ClientOrderIds.MaxAttempt + 1)
            .ToDictionary(k => ClientOrderIds.For(Deployment.Key, bar, symbol, purpose, k), k => k, StringComparer.Ordinal);
        return ladder.Where(o => attempts.ContainsKey(o.Request.ClientOrderId))
            .Select(o => ((JournalOrder?)o, attempts[o.Request.ClientOrderId]))
            .DefaultIfEmpty((null, -1))
            .MaxBy(p => p.Item2);
    }
}
