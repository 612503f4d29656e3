using System.Data.Common;

namespace Caseline.Server.Storage;

/// <summary>
/// The writer connection's prepared statements, kept for its life and keyed by their SQL text.
/// ADO.NET providers prepare a command's SQL again for every new command object (for SQLite that is a
/// full parse and plan, several times the cost of running a small statement), and the writer runs the
/// same few dozen statements all day, so it keeps one command per text and only rebinds its values.
/// </summary>
internal sealed class StatementCache(DbConnection connection) : IDisposable
{
    /// <summary>More distinct texts than this means SQL is being built from values somewhere: start afresh rather than grow.</summary>
    private const int Capacity = 256;

    /// <summary>Disposes every command if more than <see cref="Capacity"/> are kept; called between batches, when no reader is open.</summary>
    public void Trim()
    {
        if (_commands.Count > Capacity)
        {
            Clear();
        }
    }

    private readonly Dictionary<string, DbCommand> _commands = new(StringComparer.Ordinal);

    /// <summary>The command for <paramref name="text"/>, bound to <paramref name="transaction"/> and <paramref name="parameters"/>. Not to be disposed by the caller.</summary>
    public DbCommand Get(string text, DbTransaction transaction, ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        if (!_commands.TryGetValue(text, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = text;
            _commands[text] = command;
        }

        command.Transaction = transaction;
        var bound = command.Parameters;
        if (bound.Count != parameters.Length)
        {
            bound.Clear();
        }

        foreach (var (name, value) in parameters)
        {
            var index = bound.IndexOf(name);
            if (index >= 0)
            {
                bound[index].Value = value ?? DBNull.Value;
            }
            else
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = name;
                parameter.Value = value ?? DBNull.Value;
                bound.Add(parameter);
            }
        }

        return command;
    }

    public void Dispose() => Clear();

    private void Clear()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
    }
}
