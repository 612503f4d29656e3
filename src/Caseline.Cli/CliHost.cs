using Spectre.Console;

namespace Caseline.Cli;

/// <summary>
/// What a command may touch outside itself: standard output (results), standard error (status, progress,
/// errors), the environment and the configuration folder. Tests give their own.
/// </summary>
/// <param name="Out">Results: tables, or JSON lines with <c>--output json</c>.</param>
/// <param name="Error">Status, progress bars and error messages.</param>
/// <param name="Environment">Reads an environment variable.</param>
/// <param name="ConfigDirectory">Where profiles and listeners' cursors are kept.</param>
internal sealed record CliHost(IAnsiConsole Out, IAnsiConsole Error, Func<string, string?> Environment, string ConfigDirectory)
{
    /// <summary>Whether questions may be asked (a person at a terminal, not a pipe).</summary>
    public bool Interactive { get; init; }

    /// <summary>Whether standard output is a pipe or a file: results are then plain lines, never wrapped to a width.</summary>
    public bool PlainOut { get; init; }

    /// <summary>Whether standard error is a pipe or a file: its tables are then plain lines, and its messages are not wrapped.</summary>
    public bool PlainError { get; init; }

    /// <summary>Standard input, for <c>--file -</c>.</summary>
    public TextReader In { get; init; } = TextReader.Null;

    /// <summary>Where raw text (JSON lines) goes: the same stream as <see cref="Out"/>, without Spectre's wrapping.</summary>
    public TextWriter RawOut => Out.Profile.Out.Writer;

    /// <summary>The process's own console, environment and configuration folder.</summary>
    public static CliHost FromProcess()
    {
        var noColor = !string.IsNullOrEmpty(System.Environment.GetEnvironmentVariable("NO_COLOR"));
        IAnsiConsole Create(TextWriter writer, bool redirected)
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(writer),
                ColorSystem = noColor ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            });
            if (redirected)
            {
                // Spectre takes 80 columns for anything that is not a terminal and wraps there, mid-identifier if it must.
                console.Profile.Width = UnwrappedWidth;
            }

            return console;
        }

        return new CliHost(
            Create(Console.Out, Console.IsOutputRedirected), Create(Console.Error, Console.IsErrorRedirected),
            System.Environment.GetEnvironmentVariable, ConfigFolder(System.Environment.GetEnvironmentVariable))
        {
            Interactive = !Console.IsInputRedirected && !Console.IsErrorRedirected,
            PlainOut = Console.IsOutputRedirected,
            PlainError = Console.IsErrorRedirected,
            In = Console.In,
        };
    }

    // Wider than any line the CLI writes: a message names at most a few identifiers of 64 characters.
    private const int UnwrappedWidth = 4096;

    /// <summary><c>CASELINE_CONFIG_DIR</c>, else <c>$XDG_CONFIG_HOME/caseline</c>, else the user's application-data folder's <c>caseline</c>.</summary>
    public static string ConfigFolder(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (environment("CASELINE_CONFIG_DIR") is { Length: > 0 } explicitFolder)
        {
            return explicitFolder;
        }

        var root = environment("XDG_CONFIG_HOME") is { Length: > 0 } xdg
            ? xdg
            : System.Environment.GetFolderPath(System.Environment.SpecialFolder.ApplicationData, System.Environment.SpecialFolderOption.DoNotVerify);
        return Path.Combine(root, "caseline");
    }
}
