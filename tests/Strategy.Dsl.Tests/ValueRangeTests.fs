/// Values that no run can use are errors that say their range
module StrategyLab.Strategy.Dsl.Tests.ValueRangeTests

open Xunit
open StrategyLab.Strategy.Dsl.Tests.Support

let private program (body: string) =
    header + "let s = close\n" + body + "\n"

[<Theory>]
[<InlineData("portfolio long top 5 by s, gross 1e300", "SL0317 (5,34) 'gross' must be between 0 and 1000, found 1E+300")>]
[<InlineData("portfolio long top 5 by s, net -2000", "SL0317 (5,32) 'net' must be between -1000 and 1000, found -2000")>]
[<InlineData("portfolio long top 5 by s\ncosts fee 1e308%",
             "SL0317 (6,11) 'fee' must be between -100% and 100%, found 1E+308%")>]
[<InlineData("portfolio long top 5 by s\ncosts slippage -1 bps",
             "SL0317 (6,16) 'slippage' must be between 0% and 100%, found -0.01%")>]
[<InlineData("portfolio long top 5 by s\nrisk max_drawdown 150%",
             "SL0317 (6,19) 'max_drawdown' must be between 0% and 100%, found 150%")>]
[<InlineData("portfolio long top 5 by s\nexecution participation 2",
             "SL0317 (6,25) 'participation' must be between 0% and 100%, found 200%")>]
let ``a setting no run can use is an error with its range`` (body: string, expected: string) =
    Assert.Equal<string list>([ expected ], diagnosticsOf (program body))

[<Fact>]
let ``a horizon longer than ten million bars is an error`` () =
    let text =
        program "label y = forward_return(close, 2147483647)\nportfolio long top 5 by s"

    Assert.Equal<string list>(
        [ "SL0317 (5,33) 'h' must be between 1 and 10000000, found 2147483647" ],
        diagnosticsOf text
    )

[<Fact>]
let ``a window that a parameter's range takes past ten million bars is an error at the window`` () =
    let text =
        program "param n = 20 in 10..20000000\nlet m = mean(close, n)\nportfolio long top 5 by m"

    Assert.Equal<string list>(
        [ "SL0317 (6,21) 'n' must be between 1 and 10000000, found 20000000" ],
        diagnosticsOf text
    )

[<Fact>]
let ``a duration window of more than ten million bars is an error`` () =
    let text = program "let m = mean(close, 2000000w)\nportfolio long top 5 by m"

    Assert.Equal<string list>(
        [ "SL0317 (5,21) 'n' must be between 1 and 10000000, found 14000000" ],
        diagnosticsOf text
    )

[<Fact>]
let ``ten million bars and ordinary settings are accepted`` () =
    let text =
        program
            "let m = mean(close, 10000000)\nportfolio long top 5 by m, gross 2, net 0, leverage 3\ncosts maker -1 bps, taker 5 bps, slippage 2 bps\nrisk max_position 50% of nav; daily_loss 3%; max_drawdown 25%\nexecution participation 10%"

    Assert.Empty(diagnosticsOf text)
