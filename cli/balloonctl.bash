# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for balloonctl(8)
#
# Subcommands, their options, and domain names.  Names come from the
# running balloond (`balloonctl complete domains`, which prints nothing
# when the daemon cannot be reached), using the --socket given on the
# command line so far.
# shellcheck shell=bash disable=SC2207  # COMPREPLY=($(compgen ...)) is the idiom

_balloonctl()
{
    local cur prev words cword
    if declare -F _init_completion > /dev/null; then
        _init_completion || return
    else
        # without the bash-completion package
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
    fi

    local cmds="status show set auto limits reserve create capacity release reload metrics explain top help"
    local sock="" cmd="" i nargs=0
    for ((i = 1; i < cword; i++)); do
        case "${words[i]}" in
        --socket) sock="${words[i + 1]}"; ((i++)) ;;
        --socket=*) sock="${words[i]#--socket=}" ;;
        --min | --max | --weight | --mode | --timeout | --delay | --iterations | --sort) ((i++)) ;;
        -*) ;;
        *)
            if [[ -z $cmd ]]; then cmd="${words[i]}"; else ((nargs++)); fi
            ;;
        esac
    done

    case "$prev" in
    --socket)
        if declare -F _filedir > /dev/null; then
            _filedir
        else
            COMPREPLY=($(compgen -f -- "$cur"))
        fi
        return
        ;;
    --mode)
        COMPREPLY=($(compgen -W "auto fixed ignore" -- "$cur"))
        return
        ;;
    --sort)
        COMPREPLY=($(compgen -W "id name current target used state" -- "$cur"))
        return
        ;;
    --min | --max | --weight | --timeout | --delay | --iterations)
        return
        ;;
    esac

    _balloonctl_domains()
    {
        local names
        names=$(balloonctl ${sock:+--socket "$sock"} complete domains 2>/dev/null)
        COMPREPLY=($(compgen -W "$names" -- "$cur"))
    }

    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "--socket --help --version" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$cmds" -- "$cur"))
        fi
        return
    fi

    if [[ $cur == -* ]]; then
        local opts="--socket"
        case "$cmd" in
        status | auto | release | reload | explain | capacity) opts+=" --json" ;;
        show | list) opts+=" --json --wide --sort" ;;
        set) opts+=" --json --force --timeout" ;;
        limits) opts+=" --json --min --max --weight --mode --reset --force" ;;
        reserve) opts+=" --json --timeout --quiet --force" ;;
        create) opts+=" --timeout --quiet --force" ;;
        top) opts+=" --delay --iterations --sort" ;;
        esac
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return
    fi

    case "$cmd" in
    show | list) _balloonctl_domains ;;
    set | auto | limits | explain) ((nargs == 0)) && _balloonctl_domains ;;
    help) ((nargs == 0)) && COMPREPLY=($(compgen -W "$cmds" -- "$cur")) ;;
    create | reserve)
        # an xl config (reserve also takes a size)
        if ((nargs == 0)); then
            if declare -F _filedir > /dev/null; then
                _filedir
            else
                COMPREPLY=($(compgen -f -- "$cur"))
            fi
        fi
        ;;
    esac
} &&
    complete -F _balloonctl balloonctl
