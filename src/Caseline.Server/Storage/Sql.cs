using System.Data.Common;

namespace Caseline.Server.Storage;

/// <summary>Small helpers for parameterised ADO.NET commands, shared by every provider.</summary>
internal static class Sql
{
    public static DbCommand Command(this DbConnection connection, string text, DbTransaction? transaction = null, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = text;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    public static int Execute(this DbConnection connection, string text, DbTransaction? transaction = null, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.Command(text, transaction, parameters);
        return command.ExecuteNonQuery();
    }

    public static T? Scalar<T>(this DbConnection connection, string text, DbTransaction? transaction = null, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.Command(text, transaction, parameters);
        return Convert<T>(command.ExecuteScalar());
    }

    /// <summary>A scalar result as <typeparamref name="T"/> (null and DBNull as default).</summary>
    public static T? Convert<T>(object? value) =>
        value is null or DBNull
            ? default
            : (T)System.Convert.ChangeType(value, Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T), System.Globalization.CultureInfo.InvariantCulture);

    public static string? NullableString(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static byte[] Bytes(this DbDataReader reader, int ordinal) => (byte[])reader.GetValue(ordinal);

    /// <summary>A UTC instant stored as ticks (every timestamp column holds <see cref="DateTimeOffset.UtcTicks"/>).</summary>
    public static DateTimeOffset Timestamp(this DbDataReader reader, int ordinal) => new(reader.GetInt64(ordinal), TimeSpan.Zero);

    /// <summary>A UTC instant stored as ticks, or null.</summary>
    public static DateTimeOffset? NullableTimestamp(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.Timestamp(ordinal);
}
