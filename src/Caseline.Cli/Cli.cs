using System.CommandLine;
using System.Net;
using Caseline.Cli.Clients;
using Caseline.Cli.Feed;
using Caseline.Cli.Profiles;
using Caseline.Cli.Sync;
using Caseline.Cli.Webhooks;
using Caseline.Client;
using Spectre.Console;

namespace Caseline.Cli;

/// <summary>The <c>caseline</c> command: its tree, its global options, and how each failure becomes an exit code.</summary>
internal static class Cli
{
    /// <summary>Parses <paramref name="args"/> and runs the command they name; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, CliHost host, CancellationToken cancellationToken)
    {
        var globals = new GlobalOptions();
        var root = new RootCommand("caseline: the command line for Caseline integrators and operators.");
        globals.AddTo(root);
        var commands = new CommandFactory(host, globals);
        foreach (var command in ProfileCommands.Build(commands)
            .Concat(ClientCommands.Build(commands))
            .Concat(FeedCommands.Build(commands))
            .Concat(SyncCommands.Build(commands))
            .Concat(WebhookCommands.Build(commands)))
        {
            root.Subcommands.Add(command);
        }

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                host.Error.MarkupLineInterpolated($"[red]error:[/] {error.Message}");
            }

            host.Error.MarkupLine("Run [bold]caseline --help[/] (or a command with --help) for usage.");
            return ExitCodes.Usage;
        }

        return await parsed.InvokeAsync(
            new InvocationConfiguration
            {
                Output = host.RawOut,
                Error = host.Error.Profile.Out.Writer,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            },
            cancellationToken).ConfigureAwait(false);
    }
}

/// <summary><c>--output json</c> writes one JSON object per line; <c>table</c> is for people.</summary>
internal enum OutputFormat
{
    Table,
    Json,
}

/// <summary>The options every command takes.</summary>
internal sealed class GlobalOptions
{
    public Option<string?> Profile { get; } = new("--profile") { Description = "The profile to use (default: CASELINE_PROFILE, else the current one)", Recursive = true };

    public Option<OutputFormat> Output { get; } = new("--output", "-o") { Description = "table, or json: one JSON object per line", Recursive = true };

    public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "No status or progress on standard error", Recursive = true };

    public void AddTo(Command root)
    {
        root.Options.Add(Profile);
        root.Options.Add(Output);
        root.Options.Add(Quiet);
    }
}

/// <summary>Makes commands whose actions run through <see cref="RunAsync"/>, which turns failures into messages and exit codes.</summary>
internal sealed class CommandFactory(CliHost host, GlobalOptions globals)
{
    public GlobalOptions Globals => globals;

    public Command Create(string name, string description, Func<Invocation, CancellationToken, Task<int>> action, params Symbol[] symbols)
    {
        var command = new Command(name, description);
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Argument argument:
                    command.Arguments.Add(argument);
                    break;
                case Option option:
                    command.Options.Add(option);
                    break;
                default:
                    throw new ArgumentException($"Not an argument or option: {symbol.Name}", nameof(symbols));
            }
        }

        command.SetAction((parse, ct) => RunAsync(parse, action, ct));
        return command;
    }

    /// <summary>A command that only groups others (<c>caseline webhooks …</c>).</summary>
    public static Command Group(string name, string description, params Command[] subcommands)
    {
        var group = new Command(name, description);
        foreach (var subcommand in subcommands)
        {
            group.Subcommands.Add(subcommand);
        }

        return group;
    }

    private async Task<int> RunAsync(ParseResult parse, Func<Invocation, CancellationToken, Task<int>> action, CancellationToken ct)
    {
        using var invocation = new Invocation(host, parse, globals);
        try
        {
            return await action(invocation, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            invocation.Status("Interrupted.");
            return ExitCodes.Interrupted;
        }
        catch (CliException e)
        {
            Fail(e.Message);
            FieldErrors(e.Errors);
            return e.ExitCode;
        }
        catch (CaselineException e)
        {
            Fail(e.Detail is { Length: > 0 } detail && !e.Message.Contains(detail, StringComparison.Ordinal) ? $"{e.Message} {detail}" : e.Message);
            FieldErrors(e.Errors);

            if (e.StatusCode is HttpStatusCode.Forbidden)
            {
                host.Error.MarkupLine("  The profile's user or API client does not have the role this needs (caseline profiles show tells who it is).");
            }

            return e.IsAuthenticationFailure || e.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? ExitCodes.Authentication
                : e.Errors.Count > 0 ? ExitCodes.Validation
                : e.IsTransient || e.StatusCode is null ? ExitCodes.Transient
                : ExitCodes.Error;
        }
        catch (HttpRequestException e)
        {
            Fail($"The request failed: {e.Message}");
            return ExitCodes.Transient;
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            Fail($"The request timed out: {e.Message}");
            return ExitCodes.Transient;
        }
        catch (IOException e)
        {
            Fail(e.Message);
            return ExitCodes.Error;
        }
        catch (UnauthorizedAccessException e)
        {
            Fail(e.Message);
            return ExitCodes.Error;
        }
    }

    private void FieldErrors(IReadOnlyDictionary<string, string[]> errors)
    {
        foreach (var (field, messages) in errors)
        {
            foreach (var message in messages)
            {
                host.Error.MarkupLineInterpolated($"  [yellow]{(field.Length == 0 ? "(document)" : field)}[/]: {message}");
            }
        }
    }

    private void Fail(string message) => host.Error.MarkupLineInterpolated($"[red]error:[/] {message}");
}
