namespace StrategyLab.Runtime.Search.Storage;

/// <summary>
/// Sends a running trial's heartbeats to storage from a background thread until disposed, so that
/// other workers can tell it is alive; a worker that dies stops them, and after
/// <see cref="DefaultTimeout"/> its trial is failed and retried (<see cref="IStudyStorage.FailStale"/>).
/// </summary>
public sealed class TrialHeartbeat : IDisposable
{
    /// <summary>How often a running trial's heartbeat is sent, unless told otherwise.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(10);

    /// <summary>How old a heartbeat may get before its trial counts as dead: six missed beats.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private readonly IStudyStorage _storage;
    private readonly long _trialId;
    private readonly TimeSpan _interval;
    private readonly ManualResetEventSlim _stop = new();
    private readonly Thread _thread;
    private volatile bool _lost;
    private volatile StudyStorageException? _lastError;

    /// <summary>Starts beating for <paramref name="trialId"/> every <paramref name="interval"/>.</summary>
    public TrialHeartbeat(IStudyStorage storage, long trialId, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        _storage = storage;
        _trialId = trialId;
        _interval = interval;
        _thread = new Thread(Beat) { IsBackground = true, Name = $"heartbeat of trial {trialId}" };
        _thread.Start();
    }

    /// <summary>True once storage has said the trial is no longer RUNNING (another worker failed it): its result will be refused.</summary>
    public bool Lost => _lost;

    /// <summary>The last error storage gave a heartbeat, if any (a beat that fails is tried again at the next interval).</summary>
    public StudyStorageException? LastError => _lastError;

    /// <summary>Stops the heartbeats, waiting for one in flight.</summary>
    public void Dispose()
    {
        _stop.Set();
        _thread.Join();
        _stop.Dispose();
    }

    private void Beat()
    {
        while (!_stop.Wait(_interval))
        {
            try
            {
                if (!_storage.Heartbeat(_trialId))
                {
                    _lost = true;
                    return;
                }
                _lastError = null;
            }
            catch (StudyStorageException e)
            {
                _lastError = e;
            }
        }
    }
}
