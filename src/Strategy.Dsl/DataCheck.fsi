/// The strategy against its data folder: the dataset exists, gives the strategy's bar, and has every column and
/// symbol the strategy reads. Only the catalogue and the files' header lines are read (through DataFolder).
module StrategyLab.Strategy.Dsl.DataCheck

open StrategyLab.Runtime.Data
open StrategyLab.Strategy.Dsl.Diagnostics
open StrategyLab.Strategy.Dsl.Syntax

/// What a data folder says of its datasets without loading them
type DataFolder =
    {
        /// the catalogue file, as messages name it
        Catalogue: string
        /// the dataset names the catalogue defines
        Datasets: string list
        /// the shape of a dataset the catalogue defines, or why its files cannot tell it (one line)
        Shape: string -> Result<DatasetShape, string>
    }

/// Returns a diagnostic for every way the checked strategy asks for what its dataset lacks; program is the
/// program the strategy was checked from (includes spliced in), for the positions of its statements
val check: program: Program -> strategy: Check.Checked -> data: DataFolder -> Diagnostic list
