using StrategyLab.Runtime.Search.Storage;

namespace StrategyLab.Runtime.Tests.Search.Storage;

public sealed class InMemoryStudyStorageTests : StudyStorageContract
{
    private InMemoryStudyStorage? _store;

    // every handle of a test is the one store: the workers are threads of this process
    protected override IStudyStorage OpenStore() => _store ??= new InMemoryStudyStorage(Clock);
}
