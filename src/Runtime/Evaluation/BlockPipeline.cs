using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;

namespace StrategyLab.Runtime.Evaluation;

/// <summary>
/// Produces the next block on a second thread while the caller consumes the one before: blocks are
/// written into one of two buffer sets and handed over in order, so the consumer sees what a
/// one-thread loop would give it. An error on either side stops both and reaches the caller as it
/// was thrown.
/// </summary>
internal static class BlockPipeline
{
    /// <summary>Fills the buffers with the next block; returns its first bar and its bars (0 at the end).</summary>
    public delegate (int Start, int Rows) Producer(double[][] buffers);

    /// <summary>Takes a block handed over: its first bar, its bars, and the buffers the producer filled.</summary>
    public delegate void Consumer(int start, int rows, double[][] buffers);

    public static void Run(int buffers, int capacity, Producer produce, Consumer consume)
    {
        // the buffers come from the shared pool: a sweep's runs reuse them instead of faulting in fresh pages.
        // They are not cleared; the producer writes what the consumer reads.
        double[][][] sets = [.. Enumerable.Range(0, 2).Select(_ => Enumerable.Range(0, buffers).Select(_ => ArrayPool<double>.Shared.Rent(capacity)).ToArray())];
        try
        {
            Run(sets, produce, consume);
        }
        finally
        {
            foreach (var buffer in sets.SelectMany(set => set))
                ArrayPool<double>.Shared.Return(buffer);
        }
    }

    private static void Run(double[][][] sets, Producer produce, Consumer consume)
    {
        using var stop = new CancellationTokenSource();
        using var free = new BlockingCollection<double[][]>(2);
        using var ready = new BlockingCollection<(int Start, int Rows, double[][] Buffers)>(2);
        foreach (var set in sets)
            free.Add(set);
        var producer = Task.Run(() =>
        {
            try
            {
                // the free sets are never completed: the take ends with a set, or with the consumer's cancellation
                while (TryTake(free, stop.Token, out var set))
                {
                    var (start, rows) = produce(set);
                    if (rows == 0)
                        break;
                    ready.Add((start, rows, set), stop.Token);
                }
            }
            finally
            {
                ready.CompleteAdding();
            }
        });
        try
        {
            while (TryTake(ready, CancellationToken.None, out var block))
            {
                var (start, rows, set) = block;
                consume(start, rows, set);
                free.Add(set);
            }
        }
        catch
        {
            stop.Cancel();
            WaitQuietly(producer);
            throw;
        }
        producer.GetAwaiter().GetResult();
    }

    // How long a side waiting for the other spins before it sleeps: a thread put to sleep on an idle core takes
    // tens of microseconds to wake (a virtual machine's idle processor longer), and the two sides wait on each
    // other at every block. Spinning yields the core to other work that is ready to run.
    private const double SpinMicroseconds = 100;

    // the next item handed over, false once the queue is complete and empty; spins for SpinMicroseconds, then sleeps
    private static bool TryTake<T>(BlockingCollection<T> queue, CancellationToken token, out T item)
    {
        var start = Stopwatch.GetTimestamp();
        var spinner = default(SpinWait);
        while (Stopwatch.GetElapsedTime(start).TotalMicroseconds < SpinMicroseconds)
        {
            if (queue.TryTake(out item!))
                return true;
            if (queue.IsCompleted)
                return false;
            token.ThrowIfCancellationRequested();
            spinner.SpinOnce(sleep1Threshold: -1);
        }
        return queue.TryTake(out item!, Timeout.Infinite, token);
    }

    // once the consumer has failed, the producer's cancellation is not the error to report
    private static void WaitQuietly(Task producer)
    {
        try
        {
            producer.Wait();
        }
        catch (AggregateException)
        {
        }
    }
}
