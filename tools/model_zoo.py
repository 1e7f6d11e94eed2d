"""The model zoo from the command line: list, download, convert.

Usage::

    python tools/model_zoo.py list                       # the aliases (model-index.yml)
    python tools/model_zoo.py download ALIAS [ALIAS ...]  # download, verify, convert, cache
    python tools/model_zoo.py convert ALIAS FILE         # a file downloaded by hand

``download`` prints each alias' config and converted checkpoint (cached under
the torch hub folder: later runs and ``zoo://ALIAS`` need no network).
``convert`` puts a reference file you downloaded yourself (e.g. when Google
Drive shows its quota page) into the alias' cache slot.
"""
import argparse

from metapose_plugin.apis.model_zoo import alias_table, convert_local_file, resolve_zoo_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest='command', required=True)
    commands.add_parser('list', help='list the aliases')
    download = commands.add_parser('download', help='download and convert aliases')
    download.add_argument('aliases', nargs='+')
    convert = commands.add_parser('convert', help='convert a reference file for an alias')
    convert.add_argument('alias')
    convert.add_argument('file', help='the reference checkpoint (TensorFlow: its prefix)')
    args = parser.parse_args()

    if args.command == 'list':
        print(alias_table())
    elif args.command == 'download':
        for alias in args.aliases:
            model = resolve_zoo_model(alias)
            print(f'{alias}: config {model.entry.config}\n{alias}: checkpoint {model.checkpoint}')
    else:
        print(f'{args.alias}: checkpoint {convert_local_file(args.alias, args.file)}')


if __name__ == '__main__':
    main()
