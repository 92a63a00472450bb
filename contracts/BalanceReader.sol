// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/**
 * @title BalanceReader
 * @notice Many `balanceOf` reads in one `eth_call`, for the reconciler.
 * @dev Never deployed. Its creation code is sent as an `eth_call` without a `to`: the constructor runs
 * at the block the call names, reads every balance and returns `abi.encode(uint256[])` as the "deployed
 * code", which is what the call answers. So every program's token, old or new, can be read this way
 * without a contract deployed beside it, and all the balances come from one state.
 *
 * Requirements:
 * - `token` is an ERC-20; `holders` is small enough for the node's call gas cap (about 6k gas a holder).
 */
contract BalanceReader {
    constructor(IERC20 token, address[] memory holders) {
        uint256[] memory balances = new uint256[](holders.length);
        for (uint256 i = 0; i < holders.length; ++i) {
            balances[i] = token.balanceOf(holders[i]);
        }
        bytes memory result = abi.encode(balances);
        assembly ("memory-safe") {
            return(add(result, 32), mload(result))
        }
    }
}
