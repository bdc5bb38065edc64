/// The checkout a test assembly was built from, for the tests that read its data and strategies
module StrategyLab.Tests.Checkout

open System.IO
open System.Reflection

/// The checkout's root, recorded as assembly metadata at build time (Directory.Build.props): test
/// output may be built anywhere, and CI maps source paths away
let root =
    let recorded =
        Assembly.GetExecutingAssembly().GetCustomAttributes<AssemblyMetadataAttribute>()
        |> Seq.tryPick (fun a ->
            if a.Key = "RepositoryRoot" then
                Option.ofObj a.Value
            else
                None)

    match recorded with
    | Some r when File.Exists(Path.Combine(r, "StrategyLab.sln")) -> Path.GetFullPath r
    | other -> failwith $"the checkout recorded at build time (%A{other}) has no StrategyLab.sln"
