namespace Caseline.Cli;

/// <summary>What <c>caseline</c> exits with; the README's table lists the same.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Error = 1;
    public const int Usage = 2;
    public const int Authentication = 3;
    public const int Validation = 4;
    public const int Transient = 5;
    public const int Interrupted = 130;
}

/// <summary>A failure the CLI explains itself: its message is shown as it is, and it exits with <see cref="ExitCode"/>.</summary>
internal sealed class CliException(string message, int exitCode = ExitCodes.Error, IReadOnlyDictionary<string, string[]>? errors = null) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>Field errors, by field path, shown under the message.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors ?? new Dictionary<string, string[]>();

    /// <summary>The input did not pass the field rules (exit 4).</summary>
    public static CliException Invalid(string what, IReadOnlyDictionary<string, string[]> errors) =>
        new($"{what} is invalid.", ExitCodes.Validation, errors);
}
