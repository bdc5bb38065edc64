namespace StrategyLab.Runtime.Tests.Data;

/// <summary>Paths inside the checkout, found by walking up to the solution file.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string DataFolder => Path.Combine(Root, "data");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "StrategyLab.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("StrategyLab.sln not found above " + AppContext.BaseDirectory);
    }
}
