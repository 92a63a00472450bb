// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";

interface ILoyaltyCollectibleClaim {
    function claim(address recipient, uint256 dropId, uint256 nonce, uint256 deadline, bytes calldata signature)
        external
        returns (uint256);
}

/**
 * @dev Test-only receiver that re-enters `claim` from `onERC721Received` with a second voucher,
 * to prove the supply check and voucher bookkeeping cannot be bypassed through the callback.
 */
contract HostileReceiver is IERC721Receiver {
    address private immutable _collectible;
    bytes private _reentryCall;
    bool private _armed;
    bytes public lastRevertData;
    uint256 public received;

    constructor(address collectible) {
        _collectible = collectible;
    }

    /// @dev Arms a re-entrant call (ABI-encoded calldata for the collectible) for the next receipt.
    function arm(bytes calldata reentryCall) external {
        _reentryCall = reentryCall;
        _armed = true;
    }

    function onERC721Received(address, address, uint256, bytes calldata) external returns (bytes4) {
        received += 1;
        if (_armed) {
            _armed = false;
            (bool ok, bytes memory data) = _collectible.call(_reentryCall);
            // Bubble the inner revert so the test sees exactly why the re-entry failed.
            if (!ok) {
                assembly {
                    revert(add(data, 32), mload(data))
                }
            }
        }
        return IERC721Receiver.onERC721Received.selector;
    }
}

/// @dev Test-only contract that rejects every ERC-721 it is sent.
contract RejectingReceiver {
    function onERC721Received(address, address, uint256, bytes calldata) external pure returns (bytes4) {
        return bytes4(0xdeadbeef);
    }
}
