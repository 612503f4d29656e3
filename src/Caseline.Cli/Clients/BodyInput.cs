using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Caseline.Cli.Clients;

/// <summary>A request body from <c>--file</c> (a JSON object; <c>-</c> for standard input) and <c>--set Field=Value</c> pairs laid over it.</summary>
internal sealed class BodyInput
{
    public Option<string?> File { get; } = new("--file", "-f") { Description = "A JSON object with the fields ('-': standard input)" };

    public Option<string[]> Set { get; } = new("--set") { Description = "Field=text or Field:=<JSON value> (a number, a list), repeatable, laid over --file; Field= sets it to null", AllowMultipleArgumentsPerToken = false };

    public Symbol[] Symbols => [File, Set];

    /// <summary>Whether the body comes from a file (else only <c>--set</c> pairs, laid over what is stored).</summary>
    public bool FromFile(Invocation run) => run.Get(File) is not null;

    /// <param name="run">The invocation.</param>
    /// <param name="stored">Without <c>--file</c>, the stored fields the pairs are laid over, so that <c>--set</c> changes only what it names.</param>
    public JsonElement Read(Invocation run, JsonObject? stored = null)
    {
        JsonObject body;
        if (run.Get(File) is { } path)
        {
            var text = path == "-" ? run.Host.In.ReadToEnd() : System.IO.File.ReadAllText(path);
            try
            {
                body = JsonNode.Parse(text) as JsonObject ?? throw new CliException($"{(path == "-" ? "Standard input" : path)} must hold one JSON object.", ExitCodes.Validation);
            }
            catch (JsonException e)
            {
                throw new CliException($"{(path == "-" ? "Standard input" : path)} is not JSON: {e.Message}", ExitCodes.Validation);
            }
        }
        else
        {
            body = stored ?? [];
        }

        foreach (var pair in run.Get(Set) ?? [])
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new CliException($"--set takes Field=Value, not '{pair}'.", ExitCodes.Usage);
            }

            var value = pair[(equals + 1)..];
            if (pair[equals - 1] == ':')
            {
                try
                {
                    body[pair[..(equals - 1)].Trim()] = JsonNode.Parse(value);
                }
                catch (JsonException e)
                {
                    throw new CliException($"--set {pair[..(equals - 1)]}:= takes a JSON value ({e.Message}).", ExitCodes.Usage);
                }
            }
            else
            {
                body[pair[..equals].Trim()] = value.Length == 0 ? null : JsonValue.Create(value);
            }
        }

        return JsonSerializer.SerializeToElement(body, CliJsonContext.Default.JsonObject);
    }
}
